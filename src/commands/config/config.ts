import fs from 'node:fs';
import path from 'node:path';
import type { Deps } from '../../deps.js';
import { NeedsInputError, UsageError } from '../../errors.js';
import type { BotConfig } from '../../domain/clinic.js';
import {
  applyConfigChanges,
  ConfigValueError,
  getConfigValue,
  validateImportedConfig,
  type ConfigChange,
} from '../../domain/bot-config-edit.js';
import { optionsCatalog } from '../../vapi/options.js';
import type { Store } from '../../store/types.js';
import type { GlobalOptions } from '../shared/globals.js';
import { openStore, requireBotConfig } from '../shared/store.js';

async function withConfig<T>(
  g: GlobalOptions,
  deps: Deps,
  write: boolean,
  fn: (store: Store, config: BotConfig) => Promise<T>,
): Promise<T> {
  const store = await openStore(g, deps, { readOnly: !write, purpose: 'receptionist config' });
  try {
    return await fn(store, await requireBotConfig(store));
  } catch (err) {
    if (err instanceof ConfigValueError)
      throw new UsageError(
        err.message,
        err.accepted?.length
          ? `Accepted: ${err.accepted.slice(0, 40).join(', ')}${err.accepted.length > 40 ? ', …' : ''}`
          : undefined,
      );
    throw err;
  } finally {
    await store.close();
  }
}

async function save(store: Store, config: BotConfig): Promise<void> {
  const { _id, ...fields } = config;
  await store.collection('bot_configs').updateOne({ _id }, { $set: fields });
}

function renderChanges(changes: ConfigChange[], g: GlobalOptions, deps: Deps): void {
  if (g.json) return deps.io.line(JSON.stringify({ changes }));
  if (!changes.length) return deps.io.info('Nothing changed.');
  for (const c of changes) deps.io.line(`${c.key}: ${JSON.stringify(c.from) ?? '(unset)'} → ${JSON.stringify(c.to)}`);
  deps.io.info('Saved. Run `receptionist sync` to push it to Vapi.');
}

/** `config show` */
export async function show(_args: unknown[], g: GlobalOptions, deps: Deps): Promise<void> {
  await withConfig(g, deps, false, async (_s, config) => {
    if (g.json) return deps.io.line(JSON.stringify(exportable(config), null, deps.io.isOutTTY ? 2 : undefined));
    const keys = [
      'name',
      'firstMessage',
      'voice.provider',
      'voice.voiceId',
      'voice.model',
      'transcriber.provider',
      'transcriber.model',
      'transcriber.language',
      'model.provider',
      'model.model',
      'model.temperature',
      'serverMessages',
      'clinic.name',
      'clinic.timeZone',
      'clinic.defaultRegion',
      'clinic.slotMinutes',
      'clinic.holdMinutes',
    ];
    for (const k of keys) {
      const v = getConfigValue(config, k);
      if (v !== undefined) deps.io.line(`${k.padEnd(22)}${Array.isArray(v) ? v.join(', ') : String(v)}`);
    }
    deps.io.line(`${'tools'.padEnd(22)}${config.tools.map((t) => t.function.name).join(', ')}`);
    deps.io.line(`${'vapi.assistantId'.padEnd(22)}${config.vapi?.assistantId ?? '(not synced)'}`);
  });
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

/** `config set <key> <value> …` */
export async function set(args: unknown[], g: GlobalOptions, deps: Deps): Promise<void> {
  const words = args[0] as string[];
  if (words.length % 2 !== 0)
    throw new UsageError(
      'config set takes key value pairs.',
      'E.g. `receptionist config set voice.provider 11labs voice.voiceId burt`.',
    );
  const force = Boolean((args[1] as { force?: boolean } | undefined)?.force);
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < words.length; i += 2) pairs.push([words[i]!, valueOf(words[i + 1]!, deps)]);
  const changes = await withConfig(g, deps, true, async (store, config) => {
    const r = applyConfigChanges(config, pairs);
    const risks = riskyChanges(config, r.config);
    if (risks.length && !force) {
      throw new UsageError(risks.join(' '), 'Re-run with --force if that is what you want.');
    }
    for (const risk of risks) deps.io.error(`Warning: ${risk}`);
    if (r.changes.length) await save(store, r.config);
    return r.changes;
  });
  renderChanges(changes, g, deps);
}

/** `config edit`: provider, then value, picked from the options Vapi accepts. */
export async function edit(_args: unknown[], g: GlobalOptions, deps: Deps): Promise<void> {
  if (!deps.io.canPrompt)
    throw new NeedsInputError('`receptionist config set <key> <value>` (config edit needs a terminal)');
  const changes = await withConfig(g, deps, true, async (store, config) => {
    const group = (await deps.prompter.select('What do you want to change?', [
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
    const provider = await deps.prompter.select(
      'Provider',
      providers.map((p) => ({ value: p.provider })),
    );
    const p = providers.find((x) => x.provider === provider)!;
    const field = group === 'voice' ? 'voiceId' : 'model';
    const choices = group === 'voice' ? p.voiceIds : p.models;
    let value: string | undefined;
    if (choices?.values.length) {
      value = await deps.prompter.select(group === 'voice' ? 'Voice' : 'Model', [
        ...choices.values.map((v) => ({ value: v })),
        ...(choices.isFreeForm ? [{ value: '\u0000other', name: 'Other (type it)' }] : []),
      ]);
    }
    if (!value || value === '\u0000other')
      value = (await deps.prompter.input(group === 'voice' ? `${provider} voice id` : `${provider} model`)).trim();
    const r = applyConfigChanges(config, [
      [`${group}.provider`, provider],
      [`${group}.${field}`, value],
    ]);
    if (r.changes.length) await save(store, r.config);
    return r.changes;
  });
  renderChanges(changes, g, deps);
}

function exportable(config: BotConfig) {
  return { clinic: config.clinic, assistant: config.assistant, tools: config.tools };
}

/** `config export [file]` */
export async function exportConfig(args: unknown[], g: GlobalOptions, deps: Deps): Promise<void> {
  const file = args[0] as string | undefined;
  await withConfig(g, deps, false, async (_s, config) => {
    const text = `${JSON.stringify(exportable(config), null, 2)}\n`;
    if (!file) return deps.io.write(text);
    fs.writeFileSync(path.resolve(deps.cwd, file), text);
    deps.io.info(`Wrote ${file}.`);
  });
}

/** `config import <file>`: validated first; the ids recorded by `sync` are kept. */
export async function importConfig(args: unknown[], g: GlobalOptions, deps: Deps): Promise<void> {
  const file = path.resolve(deps.cwd, args[0] as string);
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(
      `Cannot read ${args[0] as string}: ${(err as Error).message}`,
      'Give a JSON file written by `receptionist config export`.',
    );
  }
  await withConfig(g, deps, true, async (store, config) => {
    const imported = validateImportedConfig(parsed);
    await save(store, { ...config, ...imported });
  });
  deps.io.info(`Imported ${args[0] as string}. Run \`receptionist sync\` to push it to Vapi.`);
}
