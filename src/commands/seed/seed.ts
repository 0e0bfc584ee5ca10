import fs from 'node:fs';
import path from 'node:path';
import { templatesDir } from '../../paths.js';
import { UserError } from '../../errors.js';
import type { CollectionName, Doc, Store } from '../../store/types.js';
import type { BotConfig } from '../../domain/clinic.js';
import { implement, type RenderContext } from '../shared/command.js';
import type { SeedFlags } from './index.js';
import type { Context } from '../shared/context.js';
import { writeOnlySealer } from '../../domain/sealing-keys.js';
import { hasKeyring } from '../../domain/keyring.js';
import { sealExistingData } from '../../domain/seal-migration.js';
import { TESTS_DIR, writeShippedTests } from '../shared/assistant-tests/shipped.js';

export interface SeedOptions {
  force: boolean;
}

/** Per collection: how many records were written and how many already existed and were kept. */
export interface SeedResult {
  dataDir: string;
  collections: Array<{ collection: CollectionName; written: number; kept: number }>;
  /** The shipped tests of the assistant, in `receptionist/tests/` of the project (existing files kept). */
  tests: { dir: string; written: number; kept: number };
}

function readTemplate<T>(...parts: string[]): T {
  const file = path.join(templatesDir(), ...parts);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (err) {
    throw new UserError(
      `Cannot read the template ${file}: ${(err as Error).message}`,
      'Reinstall receptionist; its templates/ folder is damaged.',
      { cause: err },
    );
  }
}

/** The default bot config as shipped in templates/bot-config/. */
export function defaultBotConfig(): BotConfig {
  return {
    _id: 'default',
    clinic: readTemplate('bot-config', 'clinic.json'),
    assistant: readTemplate('bot-config', 'assistant.json'),
    tools: readTemplate('bot-config', 'tools.json'),
  };
}

/** The sample records per collection, each with its stable `_id`. */
export function sampleData(): Array<[CollectionName, Doc[]]> {
  const withId = <T extends Record<string, unknown>>(rows: T[], key: keyof T) =>
    rows.map((r) => ({ ...r, _id: String(r[key]) }) as Doc);
  return [
    ['bot_configs', [defaultBotConfig()]],
    ['doctors', withId(readTemplate<Array<Record<string, unknown>>>('sample-data', 'doctors.json'), 'id')],
    ['customers', withId(readTemplate<Array<Record<string, unknown>>>('sample-data', 'customers.json'), 'customerId')],
    [
      'ac_purchases',
      withId(readTemplate<Array<Record<string, unknown>>>('sample-data', 'ac-purchases.json'), 'serialNumber'),
    ],
    [
      'troubleshooting_guides',
      withId(readTemplate<Array<Record<string, unknown>>>('sample-data', 'troubleshooting.json'), 'id'),
    ],
  ];
}

/** Writes what is missing (everything with `force`). Idempotent: a second run writes nothing. */
export async function seedStore(store: Store, opts: SeedOptions): Promise<SeedResult['collections']> {
  const out: SeedResult['collections'] = [];
  for (const [name, docs] of sampleData()) {
    const col = store.collection(name);
    let written = 0;
    let kept = 0;
    for (const doc of docs) {
      const exists = await col.findOne({ _id: doc._id });
      if (exists && !opts.force) {
        kept++;
        continue;
      }
      const { _id, ...fields } = doc;
      // The Vapi ids recorded by `sync` are not sample data: --force keeps them.
      if (exists?.vapi) fields.vapi = exists.vapi;
      if (exists) await col.deleteMany({ _id });
      await col.insertOne({ _id, ...fields });
      written++;
    }
    out.push({ collection: name, written, kept });
  }
  return out;
}

/** `seed`'s options from its flags. */
export function parseSeedOptions(flags: SeedFlags): SeedOptions {
  return { force: flags.force === true };
}

/** Seeds the store, sealing sample customers when keys exist. @throws StoreError, UserError (damaged templates) */
export async function runSeed(opts: SeedOptions, ctx: Context): Promise<SeedResult> {
  const store = await ctx.store();
  // Once keys exist, sample customers are sealed like any other record.
  const sealer = (await hasKeyring(store)) ? await writeOnlySealer(store, ctx) : undefined;
  const collections = await seedStore(store, opts);
  if (sealer) await sealExistingData(store, sealer);
  const dir = path.join(ctx.projectDir, TESTS_DIR);
  const t = writeShippedTests(dir);
  return { dataDir: store.location, collections, tests: { dir, written: t.written.length, kept: t.kept.length } };
}

/** The counts per collection, or with --json `{dataDir, collections: [{collection, written, kept}]}`. */
export function renderSeed(result: SeedResult, _opts: SeedOptions, { io, globals }: RenderContext): void {
  if (globals.json) {
    io.line(JSON.stringify(result, null, 2));
    return;
  }
  io.info(`Seeded the store at ${result.dataDir}`);
  for (const c of result.collections) {
    io.line(
      `  ${c.collection.padEnd(24)} ${String(c.written).padStart(3)} written  ${String(c.kept).padStart(3)} kept${c.kept ? ' (use --force to overwrite)' : ''}`,
    );
  }
}

export const seed = implement({ parse: parseSeedOptions, run: runSeed, render: renderSeed });
