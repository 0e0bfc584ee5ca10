import { PROVIDER_KEYS } from '../../domain/config-keys.js';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Deps } from '../../deps.js';
import { NeedsInputError, UsageError, UserError, ConfirmationNeededError } from '../../errors.js';
import type { BotConfig } from '../../domain/clinic.js';
import {
  applyConfigChanges,
  getConfigValue,
  validateImportedConfig,
  type ConfigChange,
} from '../../vapi/bot-config-edit.js';
import { optionsCatalog } from '../../vapi/options.js';
import { utcClockUses } from '../../vapi/assistant-body.js';
import type { Store } from '../../store/types.js';
import { requireBotConfig } from '../../domain/clinic.js';
import { implement, noFlags, type RenderContext } from '../shared/command.js';
import type { EditFlags, ExportConfigFlags, ImportConfigFlags, SetFlags } from './index.js';
import type { Context } from '../shared/context.js';

/** The store and its bot config. @throws StoreError, UserError (no config: run seed) */
async function withConfig(ctx: Context, write: boolean): Promise<{ store: Store; config: BotConfig }> {
  const store = await ctx.store({ readOnly: !write });
  return { store, config: await requireBotConfig(store) };
}

async function save(store: Store, config: BotConfig): Promise<void> {
  const { _id, ...fields } = config;
  await store.collection('bot_configs').updateOne({ _id }, { $set: fields });
}

/** The changes, one per line, or with --json `{changes: [{key, from, to}]}`. */
function renderChanges(changes: ConfigChange[], _o: unknown, { io, globals }: RenderContext): void {
  if (globals.json) return io.line(JSON.stringify({ changes }));
  if (!changes.length) return io.info('Nothing changed.');
  for (const c of changes) io.line(`${c.key}: ${JSON.stringify(c.from) ?? '(unset)'} → ${JSON.stringify(c.to)}`);
  io.info('Saved. Run `receptionist sync` to push it to Vapi.');
}

/** `config show`: the main keys, or with --json the config as `config export` writes it. */
function renderShow(config: BotConfig, _o: unknown, { io, globals }: RenderContext): void {
  if (globals.json) return io.line(JSON.stringify(exportable(config), null, io.isOutTTY ? 2 : undefined));
  const keys = [
    'name',
    'firstMessage',
    ...PROVIDER_KEYS,
    'serverMessages',
    'clinic.name',
    'clinic.timeZone',
    'clinic.defaultRegion',
    'clinic.slotMinutes',
    'clinic.holdMinutes',
    'clinic.reminderHours',
    'clinic.reminderChannels',
  ];
  for (const k of keys) {
    const v = getConfigValue(config, k);
    if (v !== undefined) io.line(`${k.padEnd(25)}${Array.isArray(v) ? v.join(', ') : String(v)}`);
  }
  io.line(`${'tools'.padEnd(25)}${config.tools.map((t) => t.function.name).join(', ')}`);
  io.line(`${'vapi.assistantId'.padEnd(25)}${config.vapi?.assistantId ?? '(not synced)'}`);
}

/** `@file.txt` is the file's text (for long prompts); `@@x` is the literal `@x`. @throws UsageError */
function valueOf(word: string, deps: Pick<Deps, 'cwd'>): string {
  if (word.startsWith('@@')) return word.slice(1);
  if (!word.startsWith('@')) return word;
  try {
    return fs.readFileSync(path.resolve(deps.cwd, word.slice(1)), 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new UsageError(
      `Cannot read ${word.slice(1)}: ${(err as Error).message}`,
      'Give @<file> with the text, or @@ for a value that starts with @.',
    );
  }
}

/**
 * Changes that are legal but rarely meant: call logging switched off (no `end-of-call-report` in
 * `serverMessages`), tool calls no longer sent, or most of a system prompt replaced by a much shorter one.
 */
export function riskyChanges(before: BotConfig, after: BotConfig): string[] {
  const out: string[] = [];
  const messages = (c: BotConfig) => (c.assistant as { serverMessages?: string[] }).serverMessages;
  const was = messages(before);
  const now = messages(after);
  if (now && JSON.stringify(was) !== JSON.stringify(now)) {
    if (!now.includes('end-of-call-report'))
      out.push('Without "end-of-call-report" in serverMessages no call is logged any more.');
    if (!now.includes('tool-calls'))
      out.push('Without "tool-calls" in serverMessages the assistant\'s tools get no answers.');
  }
  const prompt = (c: BotConfig) => getConfigValue(c, 'systemPrompt') as string | undefined;
  const oldPrompt = prompt(before) ?? '';
  const newPrompt = prompt(after) ?? '';
  if (oldPrompt !== newPrompt && oldPrompt.length > 200 && newPrompt.length < oldPrompt.length / 2) {
    out.push(
      `The new system prompt replaces the whole current one (${oldPrompt.length} → ${newPrompt.length} characters).`,
    );
  }
  return out;
}

/**
 * Warns (stderr) when the prompt, first message or reminder message reads Vapi's UTC clock: in
 * India `{{date}}` is yesterday until 05:30 (docs `fern/assistants/dynamic-variables.mdx`).
 */
function warnUtcClock(config: BotConfig, io: Context['io']): void {
  const uses = utcClockUses(config);
  if (!uses.length) return;
  io.error(
    `Warning: ${uses.join('; ')}: Vapi fills these in UTC, not in the clinic's zone (${config.clinic.timeZone}). ` +
      "Use {{clinic.date}}, {{clinic.time}} or {{clinic.now}}: sync writes them in the clinic's zone.",
  );
}

const CLOCK_KEYS = new Set(['systemPrompt', 'firstMessage', 'clinic.reminderFirstMessage']);

export interface SetOptions {
  pairs: Array<[string, string]>;
  force: boolean;
}

/** `config set`'s key value pairs (`@file` values are read by run). @throws UsageError (odd number of words) */
export function parseSetOptions(flags: SetFlags): SetOptions {
  const words = flags.pairs;
  if (words.length % 2 !== 0)
    throw new UsageError(
      'config set takes key value pairs.',
      'E.g. `receptionist config set voice.provider 11labs voice.voiceId burt`.',
    );
  return { pairs: pairsOf(words), force: flags.force === true };
}

function pairsOf(words: string[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < words.length; i += 2) pairs.push([words[i]!, words[i + 1]!]);
  return pairs;
}

/** `config set <key> <value> …` @throws UsageError (unknown key, invalid value, risky without --force) */
export async function runSet(opts: SetOptions, ctx: Context): Promise<ConfigChange[]> {
  const { store, config } = await withConfig(ctx, true);
  const r = applyConfigChanges(
    config,
    opts.pairs.map(([k, v]) => [k, valueOf(v, ctx)]),
  );
  const risks = riskyChanges(config, r.config);
  if (risks.length && !opts.force) {
    throw new ConfirmationNeededError(risks.join(' '), 'Re-run with --force if that is what you want.');
  }
  for (const risk of risks) ctx.io.error(`Warning: ${risk}`);
  if (r.changes.some((c) => CLOCK_KEYS.has(c.key))) warnUtcClock(r.config, ctx.io);
  if (r.changes.length) await save(store, r.config);
  return r.changes;
}

/** `config edit`: provider, then value, picked from the options Vapi accepts; or `--editor`. */
export async function runEdit(opts: { editor: boolean }, ctx: Context): Promise<ConfigChange[]> {
  if (opts.editor) return runEditor(ctx);
  if (!ctx.io.canPrompt)
    throw new NeedsInputError('`receptionist config set <key> <value>` (config edit needs a terminal)');
  const { store, config } = await withConfig(ctx, true);
  const group = (await ctx.prompter.select('What do you want to change?', [
    {
      value: 'voice',
      name: `Voice (now ${String(getConfigValue(config, 'voice.provider'))} / ${String(getConfigValue(config, 'voice.voiceId'))})`,
    },
    {
      value: 'transcriber',
      name: `Transcriber (now ${String(getConfigValue(config, 'transcriber.provider'))} / ${String(getConfigValue(config, 'transcriber.model') ?? '-')})`,
    },
    {
      value: 'model',
      name: `Model (now ${String(getConfigValue(config, 'model.provider'))} / ${String(getConfigValue(config, 'model.model'))})`,
    },
  ])) as 'voice' | 'transcriber' | 'model';
  const kind = ({ voice: 'voices', transcriber: 'transcribers', model: 'models' } as const)[group];
  const providers = optionsCatalog()[kind];
  const provider = await ctx.prompter.select(
    'Provider',
    providers.map((p) => ({ value: p.provider })),
  );
  const p = providers.find((x) => x.provider === provider)!;
  const field = group === 'voice' ? 'voiceId' : 'model';
  const choices = group === 'voice' ? p.voiceIds : p.models;
  let value: string | undefined;
  if (choices?.values.length) {
    value = await ctx.prompter.select(group === 'voice' ? 'Voice' : 'Model', [
      ...choices.values.map((v) => ({ value: v })),
      ...(choices.isFreeForm ? [{ value: '\u0000other', name: 'Other (type it)' }] : []),
    ]);
  }
  if (!value || value === '\u0000other')
    value = (await ctx.prompter.input(group === 'voice' ? `${provider} voice id` : `${provider} model`)).trim();
  const r = applyConfigChanges(config, [
    [`${group}.provider`, provider],
    [`${group}.${field}`, value],
  ]);
  if (r.changes.length) await save(store, r.config);
  return r.changes;
}

/**
 * `config edit --editor`: the config as `config export` writes it, opened in `$VISUAL` or `$EDITOR`
 * (else `vi`); saved when the editor exits 0 and the text is a valid config. The keys of
 * `clinic`, `assistant` and each tool that changed are reported.
 * @throws UsageError (invalid JSON or config: the edited file is kept and named), UserError (editor failed)
 */
async function runEditor(ctx: Context): Promise<ConfigChange[]> {
  const { store, config } = await withConfig(ctx, true);
  const editor = ctx.env.get('VISUAL')?.value || ctx.env.get('EDITOR')?.value || 'vi';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'receptionist-config-'));
  const file = path.join(dir, 'receptionist.config.json');
  const before = exportable(config);
  fs.writeFileSync(file, `${JSON.stringify(before, null, 2)}\n`, { mode: 0o600 });
  const r = spawnSync(`${editor} "${file}"`, { shell: true, stdio: 'inherit' });
  if (r.status !== 0) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new UserError(
      `The editor (${editor}) exited with ${r.status ?? r.signal ?? r.error?.message}; nothing changed.`,
    );
  }
  let imported: ReturnType<typeof validateImportedConfig>;
  try {
    imported = validateImportedConfig(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch (err) {
    throw new UsageError(
      `The edited config is not valid, so nothing changed: ${(err as Error).message}`,
      `Your text is kept in ${file}; fix it and run \`receptionist config import ${file}\`.`,
    );
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const changes = diffTop(before, imported);
  if (changes.length) {
    await save(store, { ...config, ...imported });
    warnUtcClock({ ...config, ...imported }, ctx.io);
  }
  return changes;
}

/** The changed second-level keys of an exported config (`assistant.voice`, `tools.book_appointment`). */
function diffTop(before: ReturnType<typeof exportable>, after: ReturnType<typeof exportable>): ConfigChange[] {
  const out: ConfigChange[] = [];
  const byName = (tools: BotConfig['tools']) => Object.fromEntries(tools.map((t) => [t.function.name, t]));
  const pairs: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
    ['clinic', before.clinic as unknown as Record<string, unknown>, after.clinic as unknown as Record<string, unknown>],
    ['assistant', before.assistant as Record<string, unknown>, after.assistant as Record<string, unknown>],
    ['tools', byName(before.tools), byName(after.tools)],
  ];
  for (const [group, a, b] of pairs)
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)]))
      if (JSON.stringify(a[key]) !== JSON.stringify(b[key]))
        out.push({ key: `${group}.${key}`, from: a[key], to: b[key] } as ConfigChange);
  return out;
}

function exportable(config: BotConfig) {
  return { clinic: config.clinic, assistant: config.assistant, tools: config.tools };
}

/** `config export [file]`: the text (to stdout unless a file is named). */
export async function runExport(opts: { file?: string }, ctx: Context): Promise<{ text: string; file?: string }> {
  const { config } = await withConfig(ctx, false);
  const text = `${JSON.stringify(exportable(config), null, 2)}\n`;
  if (opts.file) fs.writeFileSync(path.resolve(ctx.cwd, opts.file), text);
  return { text, file: opts.file };
}

/** `config import <file>`: validated first; the ids recorded by `sync` are kept. @throws UsageError */
export async function runImport(opts: { file: string }, ctx: Context): Promise<{ file: string }> {
  const file = path.resolve(ctx.cwd, opts.file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(
      `Cannot read ${opts.file}: ${(err as Error).message}`,
      'Give a JSON file written by `receptionist config export`.',
    );
  }
  const { store, config } = await withConfig(ctx, true);
  const next = { ...config, ...validateImportedConfig(parsed) };
  await save(store, next);
  warnUtcClock(next, ctx.io);
  return { file: opts.file };
}

/** `config edit`. */
export const parseEdit = (flags: EditFlags) => ({ editor: flags.editor === true });
/** `config export`. */
export const parseExport = (flags: ExportConfigFlags) => ({ file: flags.file });
/** `config import`. */
export const parseImport = (flags: ImportConfigFlags) => ({ file: flags.file });

export const show = implement({
  parse: noFlags,
  run: async (_o: unknown, ctx: Context) => (await withConfig(ctx, false)).config,
  render: renderShow,
});
export const set = implement({ parse: parseSetOptions, run: runSet, render: renderChanges });
export const edit = implement({
  parse: parseEdit,
  run: runEdit,
  render: renderChanges,
});
export const exportConfig = implement({
  parse: parseExport,
  run: runExport,
  render: (r, _o, { io }) => (r.file ? io.info(`Wrote ${r.file}.`) : io.write(r.text)),
});
export const importConfig = implement({
  parse: parseImport,
  run: runImport,
  render: (r, _o, { io, globals }) =>
    globals.json
      ? io.line(JSON.stringify({ imported: r.file }))
      : io.info(`Imported ${r.file}. Run \`receptionist sync\` to push it to Vapi.`),
});
