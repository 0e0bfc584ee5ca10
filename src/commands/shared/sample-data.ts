import fs from 'node:fs';
import path from 'node:path';
import { templatesDir } from '../../paths.js';
import { UserError } from '../../errors.js';
import type { CollectionName, Doc, Store } from '../../store/types.js';
import type { BotConfig } from '../../domain/clinic.js';

// The shipped bot config and sample records (templates/): what `seed` writes, and what a test run's
// throwaway store gets of them.

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
export async function seedStore(
  store: Store,
  opts: { force: boolean },
): Promise<Array<{ collection: CollectionName; written: number; kept: number }>> {
  const out: Array<{ collection: CollectionName; written: number; kept: number }> = [];
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
