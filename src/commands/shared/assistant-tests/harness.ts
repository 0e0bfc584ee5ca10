import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { UsageError } from '../../../errors.js';
import { packageRoot } from '../../../paths.js';
import type { Store } from '../../../store/types.js';
import { ThrowawayStores } from '../../../store/throwaway.js';
import type { BotConfig } from '../../../domain/clinic.js';
import { readAssistantTest, TestFileError, type AssistantTest } from '../../../domain/assistant-test.js';
import { initKeyring } from '../../../domain/keyring.js';
import { sealerForStore, type FieldSealer } from '../../../domain/sealer.js';
import { sealExistingData } from '../../../domain/seal-migration.js';
import { writeOnlySealer } from '../../../domain/sealing-keys.js';
import { sampleData } from '../sample-data.js';
import type { Context } from '../context.js';

/** A test file as read: the test, or why it cannot be used (exit 2; the others still run). */
export type LoadedTest = { file: string; test: AssistantTest } | { file: string; error: string };

/** The schema of test files, shipped in `schemas/`. */
export function testSchema(): object {
  return JSON.parse(
    fs.readFileSync(path.join(packageRoot(), 'schemas', 'assistant-test.schema.json'), 'utf8'),
  ) as object;
}

/**
 * The test files: those named, else every `*.yaml`/`*.yml` in `dir` (sorted), each read and checked
 * against the schema and the config's tools.
 * @throws UsageError when there is nothing to run (no such folder, no files)
 */
export function loadTests(files: readonly string[], dir: string, config: BotConfig): LoadedTest[] {
  let paths = [...files];
  if (!paths.length) {
    if (!fs.existsSync(dir))
      throw new UsageError(
        `No tests: the folder ${dir} does not exist.`,
        '`receptionist seed` writes the shipped tests there; or pass test files, or --dir.',
      );
    paths = fs
      .readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()
      .map((f) => path.join(dir, f));
    if (!paths.length) throw new UsageError(`No tests in ${dir} (*.yaml).`, 'Write one, or run `receptionist seed`.');
  }
  const schema = testSchema();
  const tools = config.tools.map((t) => t.function.name);
  return paths.map((file) => {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      return {
        file,
        error: `${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`,
      };
    }
    try {
      return { file, test: readAssistantTest(text, file, schema, { tools }) };
    } catch (err) {
      if (err instanceof TestFileError) return { file, error: err.message };
      throw err;
    }
  });
}

/** Where a test's tools write: a fresh throwaway store, or (`--store`) the store itself. */
export interface TestStores {
  /** A store for one run, with the sealer serve would use on it. */
  open(): Promise<{ store: Store; sealer: FieldSealer; done(): Promise<void> }>;
  close(): Promise<void>;
}

/**
 * What a throwaway store takes from the clinic's: its setup (the bot config, doctors and their hours,
 * holidays, troubleshooting guides), never a patient's record.
 */
const CLINIC_SETUP = ['bot_configs', 'doctors', 'holidays', 'troubleshooting_guides'] as const;
/** What it gets of the sample data instead: the callers and AC purchases tests speak as. */
const SAMPLE_RECORDS = new Set(['customers', 'ac_purchases']);

/**
 * Stores for test runs. A throwaway store holds the clinic's setup, the sample customers and AC
 * purchases (the shipped tests' callers), and keys of its own (a random blind-index key, a keyring
 * whose password nobody knows): no patient's record is copied, and nothing in it is readable after.
 * With `real` (`--store`) the tools write the store itself, sealed to its pinned keys.
 * @throws StoreUnavailableError, SealingKeysError (`real`, keys not the pinned ones)
 */
export async function testStores(source: Store, ctx: Context, real: boolean): Promise<TestStores> {
  if (real) {
    const sealer = await writeOnlySealer(source, ctx);
    return { open: async () => ({ store: source, sealer, done: async () => {} }), close: async () => {} };
  }
  const blindKey = randomBytes(32);
  const copies = await ThrowawayStores.from(source, CLINIC_SETUP, async (template) => {
    for (const [name, docs] of sampleData())
      if (SAMPLE_RECORDS.has(name)) for (const doc of docs) await template.collection(name).replaceOne(doc);
    await initKeyring(template, 'test-run', randomBytes(24).toString('base64url'), ctx.now(), {
      N: 2 ** 10,
      r: 8,
      p: 1,
    });
    // As the first `users add` does: the sample records sealed and indexed, so callers are found.
    await sealExistingData(template, await sealerForStore(template, blindKey));
  });
  return {
    async open() {
      const store = await copies.fresh();
      try {
        return { store, sealer: await sealerForStore(store, blindKey), done: () => store.close() };
      } catch (err) {
        await store.close();
        throw err;
      }
    },
    close: () => copies.close(),
  };
}
