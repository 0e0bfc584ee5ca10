import path from 'node:path';
import type { CollectionName } from '../../store/types.js';
import { implement, type RenderContext } from '../shared/command.js';
import { seedStore } from '../shared/sample-data.js';
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

export { defaultBotConfig, sampleData, seedStore } from '../shared/sample-data.js';

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
