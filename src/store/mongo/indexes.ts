import type { Db } from 'mongodb';
import { COLLECTIONS, INDEXES, SUPERSEDED_INDEXES, type CollectionName, type IndexSpec } from '../types.js';

/**
 * The MongoDB indexes of {@link INDEXES} (a unique sparse one, or one with `present`, as a partial
 * index), and the call log's and recordings'. Created on open; a no-op once they exist. The
 * {@link SUPERSEDED_INDEXES} are dropped, found by their keys (whatever they were named).
 */
export async function createIndexes(db: Db): Promise<void> {
  for (const name of COLLECTIONS) {
    for (const ix of INDEXES[name]) {
      await db
        .collection(name)
        .createIndex(
          Object.fromEntries([ix.field, ...(ix.then ?? [])].map((f) => [f, 1])),
          ix.present
            ? { unique: ix.unique ?? false, partialFilterExpression: { [ix.present]: { $exists: true } } }
            : ix.unique && ix.sparse
              ? { unique: true, partialFilterExpression: { [ix.field]: { $exists: true } } }
              : { unique: ix.unique ?? false, sparse: ix.sparse ?? false },
        );
    }
  }
  for (const [name, specs] of Object.entries(SUPERSEDED_INDEXES) as Array<[CollectionName, IndexSpec[]]>) {
    const keys = new Set(
      specs.map((ix) => JSON.stringify(Object.fromEntries([ix.field, ...(ix.then ?? [])].map((f) => [f, 1])))),
    );
    for (const ix of await db.collection(name).indexes())
      if (keys.has(JSON.stringify(ix.key)) && ix.name) await db.collection(name).dropIndex(ix.name);
  }
  await db.collection('call_logs').createIndex({ endedAt: -1 });
  // logs --caller: a caller's calls, newest first.
  await db.collection('call_logs').createIndex({ customerIndex: 1, endedAt: -1 });
  await db.collection('recordings').createIndex({ callId: 1, at: 1, seq: 1 });
}
