import { renderTable } from '../shared/table.js';
import { UsageError } from '../../errors.js';
import { optionsCatalog, type Choices, type OptionKind, type ProviderOptions } from '../../vapi/options.js';
import { implement, type RenderContext } from '../shared/command.js';
import type { OptionsFlags } from './index.js';

export interface OptionsOptions {
  kind: OptionKind;
  provider?: string;
}

export function parseOptionsOptions(flags: OptionsFlags): OptionsOptions {
  return { kind: flags.kind, provider: flags.provider };
}

/** @throws UsageError for an unknown provider (the known ones listed) */
export async function runOptions({ kind, provider }: OptionsOptions): Promise<ProviderOptions[]> {
  const all = optionsCatalog()[kind];
  if (!provider) return all;
  const one = all.filter((p) => p.provider === provider);
  if (!one.length)
    throw new UsageError(
      `Unknown ${kind.slice(0, -1)} provider "${provider}".`,
      `Vapi accepts: ${all.map((p) => p.provider).join(', ')}.`,
    );
  return one;
}

function list(c: Choices | undefined, max: number): string {
  if (!c) return '';
  const shown = c.values.slice(0, max).join(', ');
  const more = c.values.length > max ? ` … (+${c.values.length - max})` : '';
  const free = c.isFreeForm ? `${c.values.length ? '; ' : ''}any string` : '';
  return `${shown}${more}${free}` || '-';
}

export function renderOptions(
  rows: ProviderOptions[],
  { kind }: OptionsOptions,
  { io, globals: g }: RenderContext,
): void {
  if (g.json) return io.line(JSON.stringify(rows, null, io.isOutTTY ? 2 : undefined));
  const full = rows.length === 1;
  const max = full ? Infinity : 6;
  const columns: Array<[string, (p: ProviderOptions) => string]> = [['Provider', (p) => p.provider]];
  if (kind === 'voices')
    columns.push(['Voice IDs', (p) => list(p.voiceIds, max)], ['Models', (p) => list(p.models, max)]);
  if (kind === 'transcribers')
    columns.push(['Models', (p) => list(p.models, max)], ['Languages', (p) => list(p.languages, max)]);
  if (kind === 'models') columns.push(['Models', (p) => list(p.models, max)]);
  columns.push(['Also required', (p) => p.required.join(', ')]);
  if (!io.isOutTTY) {
    io.line(columns.map(([h]) => h).join('\t'));
    for (const p of rows) io.line(columns.map(([, f]) => f(p)).join('\t'));
    return;
  }
  io.line(
    renderTable(
      columns.map(([h]) => h),
      rows.map((p) => columns.map(([, f]) => f(p))),
      io,
      g.color,
    ),
  );
}

export const options = implement({ parse: parseOptionsOptions, run: runOptions, render: renderOptions });
