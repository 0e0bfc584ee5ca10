import net from 'node:net';
import { BSON, Long, ObjectId, Timestamp } from 'bson';
import { aggregate, find, Query, update as applyUpdate } from 'mingo';

/**
 * A MongoDB wire-protocol double for tests (never a backend): OP_QUERY for the driver's
 * handshake, OP_MSG for everything else, BSON from the `bson` package, query and update
 * semantics from `mingo`, unique indexes (sparse and partial) enforced, error 11000 on a
 * duplicate key. One in-memory server per instance; `stop()`/`start()` simulate an outage.
 *
 * It answers as the primary of replica set `rs0`, so the driver runs multi-document transactions:
 * a transaction's writes apply at once and an abort puts every collection back as it was at
 * `startTransaction` (no isolation between sessions: enough for one test at a time, not a server).
 * `{ standalone: true }` answers as a standalone server, which refuses transactions.
 * A read with `readConcern: {level: 'snapshot'}` (a snapshot session) sees every collection as it
 * was at that session's first such read, whatever is written after, as on a replica set.
 */
export interface MongoDouble {
  uri: string;
  port: number;
  /** Closes the listener and every connection (the data stays). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
  collection(db: string, name: string): Array<Record<string, unknown>>;
  /** Answers every later `command` (e.g. `createIndexes`) with this error, as a user without privileges would get. */
  deny(command: string, error: { code: number; codeName: string; errmsg: string }): void;
}

type Doc = Record<string, any>;
interface Index {
  name: string;
  key: Record<string, number>;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: Doc;
}

const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;

export async function startMongoDouble(opts: { standalone?: boolean } = {}): Promise<MongoDouble> {
  const dbs = new Map<string, Map<string, { docs: Doc[]; indexes: Index[] }>>();
  const sockets = new Set<net.Socket>();
  const denials = new Map<string, { code: number; codeName: string; errmsg: string }>();
  let requestId = 1;
  let port = 0;
  /** Open transactions by session id: every collection's documents as they were at `startTransaction`. */
  const transactions = new Map<string, Map<string, Map<string, Doc[]>>>();
  /** Snapshot sessions by id: the data as it was at the session's first snapshot read. */
  const snapshotReads = new Map<string, Map<string, Map<string, Doc[]>>>();
  const clusterTime = new Timestamp({ t: Math.floor(Date.now() / 1000), i: 1 });
  const snapshot = () =>
    new Map([...dbs].map(([db, cols]) => [db, new Map([...cols].map(([name, c]) => [name, c.docs.slice()]))]));
  const restore = (snap: Map<string, Map<string, Doc[]>>) => {
    for (const [db, cols] of dbs)
      for (const [name, c] of cols) {
        const docs = snap.get(db)?.get(name);
        if (docs) c.docs = docs;
        else cols.delete(name);
      }
  };

  const coll = (db: string, name: string) => {
    let d = dbs.get(db);
    if (!d) dbs.set(db, (d = new Map()));
    let c = d.get(name);
    if (!c) d.set(name, (c = { docs: [], indexes: [{ name: '_id_', key: { _id: 1 }, unique: true }] }));
    return c;
  };

  const keyOf = (doc: Doc, ix: Index): string | undefined => {
    const fields = Object.keys(ix.key);
    const values = fields.map((f) => f.split('.').reduce<any>((o, k) => (o == null ? undefined : o[k]), doc));
    if (ix.sparse && values.every((v) => v === undefined)) return undefined;
    if (ix.partialFilterExpression && !new Query(ix.partialFilterExpression).test(doc)) return undefined;
    return JSON.stringify(values.map((v) => (v instanceof ObjectId ? v.toHexString() : (v ?? null))));
  };

  /** The first unique index `doc` would violate among `others`. */
  const violation = (
    c: { docs: Doc[]; indexes: Index[] },
    doc: Doc,
    skip?: Doc,
  ): { ix: Index; value: Doc } | undefined => {
    for (const ix of c.indexes.filter((i) => i.unique)) {
      const k = keyOf(doc, ix);
      if (k === undefined) continue;
      if (c.docs.some((o) => o !== skip && keyOf(o, ix) === k))
        return { ix, value: Object.fromEntries(Object.keys(ix.key).map((f) => [f, doc[f]])) };
    }
    return undefined;
  };

  const dupError = (index: number, v: { ix: Index; value: Doc }, ns: string) => ({
    index,
    code: 11000,
    errmsg: `E11000 duplicate key error collection: ${ns} index: ${v.ix.name} dup key: ${JSON.stringify(v.value)}`,
    keyPattern: v.ix.key,
    keyValue: v.value,
  });

  function command(db: string, cmd: Doc, sequences: Record<string, Doc[]>): Doc {
    const name = Object.keys(cmd)[0]!;
    const lower = name.toLowerCase();
    if (lower === 'ismaster' || lower === 'hello') {
      const host = `127.0.0.1:${port}`;
      return {
        ...(opts.standalone
          ? {}
          : { setName: 'rs0', setVersion: 1, hosts: [host], me: host, primary: host, secondary: false }),
        ismaster: true,
        isWritablePrimary: true,
        helloOk: true,
        maxBsonObjectSize: 16 * 1024 * 1024,
        maxMessageSizeBytes: 48_000_000,
        maxWriteBatchSize: 100_000,
        localTime: new Date(),
        logicalSessionTimeoutMinutes: 30,
        connectionId: 1,
        minWireVersion: 0,
        maxWireVersion: 21,
        readOnly: false,
        ok: 1,
      };
    }
    // The double has no users: any authentication attempt fails, as a wrong password would.
    if (lower === 'saslstart' || lower === 'authenticate')
      return { ok: 0, code: 18, codeName: 'AuthenticationFailed', errmsg: 'Authentication failed.' };
    const denied = denials.get(name);
    if (denied) return { ok: 0, ...denied };
    const session = cmd.lsid?.id ? Buffer.from(cmd.lsid.id.buffer ?? cmd.lsid.id).toString('hex') : undefined;
    if (cmd.txnNumber !== undefined && opts.standalone)
      return {
        ok: 0,
        code: 20,
        codeName: 'IllegalOperation',
        errmsg: 'Transaction numbers are only allowed on a replica set member or mongos',
      };
    if (cmd.startTransaction && session) transactions.set(session, snapshot());
    if (lower === 'committransaction' || lower === 'aborttransaction') {
      const snap = session ? transactions.get(session) : undefined;
      if (snap && lower === 'aborttransaction') restore(snap);
      if (session) transactions.delete(session);
      return { ok: 1 };
    }
    if (lower === 'endsessions') {
      for (const l of (cmd.endSessions as Doc[] | undefined) ?? [])
        snapshotReads.delete(Buffer.from(l.id.buffer ?? l.id).toString('hex'));
      return { ok: 1 };
    }
    if (['ping', 'killcursors'].includes(lower)) return { ok: 1 };
    if (lower === 'buildinfo') return { version: '7.0.0-double', versionArray: [7, 0, 0, 0], ok: 1 };
    if (cmd.readConcern?.level === 'snapshot') {
      if (opts.standalone)
        return { ok: 0, code: 123, codeName: 'NotAReplicaSet', errmsg: 'snapshot reads require a replica set' };
      if (session && !snapshotReads.has(session)) snapshotReads.set(session, snapshot());
    }
    const frozen = session && cmd.readConcern?.level === 'snapshot' ? snapshotReads.get(session) : undefined;
    const c = frozen
      ? { docs: frozen.get(db)?.get(String(cmd[name])) ?? [], indexes: [] as Index[] }
      : coll(db, String(cmd[name]));
    const ns = `${db}.${String(cmd[name])}`;
    switch (name) {
      case 'createIndexes':
        for (const ix of cmd.indexes as Index[]) if (!c.indexes.some((i) => i.name === ix.name)) c.indexes.push(ix);
        return { numIndexesBefore: 1, numIndexesAfter: c.indexes.length, ok: 1 };
      case 'insert': {
        const docs = (cmd.documents as Doc[] | undefined) ?? sequences.documents ?? [];
        const writeErrors: Doc[] = [];
        let n = 0;
        docs.forEach((doc, i) => {
          if (writeErrors.length && cmd.ordered !== false) return;
          const v = violation(c, doc);
          if (v) writeErrors.push(dupError(i, v, ns));
          else {
            c.docs.push(structuredClone(doc));
            n++;
          }
        });
        return { n, ...(writeErrors.length ? { writeErrors } : {}), ok: 1 };
      }
      case 'find': {
        let cursor = find(c.docs, cmd.filter ?? {}, cmd.projection);
        if (cmd.sort) cursor = cursor.sort(cmd.sort);
        if (cmd.skip) cursor = cursor.skip(cmd.skip);
        if (cmd.limit) cursor = cursor.limit(Math.abs(cmd.limit));
        return {
          cursor: {
            id: Long.ZERO,
            ns,
            firstBatch: structuredClone(cursor.all()),
            ...(frozen ? { atClusterTime: clusterTime } : {}),
          },
          ok: 1,
        };
      }
      case 'aggregate':
        return {
          cursor: {
            id: Long.ZERO,
            ns,
            firstBatch: structuredClone(aggregate(c.docs, cmd.pipeline ?? [])),
            ...(frozen ? { atClusterTime: clusterTime } : {}),
          },
          ok: 1,
        };
      case 'count':
        return { n: find(c.docs, cmd.query ?? {}).all().length, ok: 1 };
      case 'update': {
        const ups = (cmd.updates as Doc[] | undefined) ?? sequences.updates ?? [];
        let n = 0;
        let nModified = 0;
        const upserted: Doc[] = [];
        const writeErrors: Doc[] = [];
        ups.forEach((u, i) => {
          const matches = c.docs.filter((d) => new Query(u.q ?? {}).test(d));
          const targets = u.multi ? matches : matches.slice(0, 1);
          if (!targets.length && u.upsert) {
            const base: Doc = Object.fromEntries(
              Object.entries(u.q ?? {}).filter(
                ([k, v]) => !k.startsWith('$') && (typeof v !== 'object' || v === null || v instanceof ObjectId),
              ),
            );
            const replacement = !Object.keys(u.u).some((k) => k.startsWith('$'));
            const doc = replacement ? { _id: base._id, ...structuredClone(u.u) } : { ...base };
            if (!replacement) applyUpdate(doc, u.u);
            if (doc._id === undefined) doc._id = new ObjectId();
            const v = violation(c, doc);
            if (v) writeErrors.push(dupError(i, v, ns));
            else {
              c.docs.push(doc);
              upserted.push({ index: i, _id: doc._id });
              n++;
            }
            return;
          }
          for (const t of targets) {
            const replacement = !Object.keys(u.u).some((k) => k.startsWith('$'));
            const next = replacement ? { _id: t._id, ...structuredClone(u.u) } : structuredClone(t);
            const changed = replacement ? [1] : applyUpdate(next, u.u);
            const v = violation(c, next, t);
            if (v) {
              writeErrors.push(dupError(i, v, ns));
              return;
            }
            c.docs[c.docs.indexOf(t)] = next;
            n++;
            if (changed.length) nModified++;
          }
        });
        return {
          n,
          nModified,
          ...(upserted.length ? { upserted } : {}),
          ...(writeErrors.length ? { writeErrors } : {}),
          ok: 1,
        };
      }
      case 'delete': {
        let n = 0;
        for (const d of (cmd.deletes as Doc[] | undefined) ?? sequences.deletes ?? []) {
          const matches = c.docs.filter((x) => new Query(d.q ?? {}).test(x));
          for (const m of d.limit === 1 ? matches.slice(0, 1) : matches) {
            c.docs.splice(c.docs.indexOf(m), 1);
            n++;
          }
        }
        return { n, ok: 1 };
      }
      case 'drop':
        dbs.get(db)?.delete(String(cmd[name]));
        return { ok: 1 };
      case 'dropDatabase':
        dbs.delete(db);
        return { ok: 1 };
      case 'dropIndexes': {
        const at = c.indexes.findIndex((i) => i.name === cmd.index);
        if (at < 0)
          return {
            ok: 0,
            errmsg: `index not found with name [${String(cmd.index)}]`,
            code: 27,
            codeName: 'IndexNotFound',
          };
        c.indexes.splice(at, 1);
        return { nIndexesWas: c.indexes.length + 2, ok: 1 };
      }
      case 'listIndexes':
        return { cursor: { id: Long.ZERO, ns, firstBatch: c.indexes.map((i) => ({ v: 2, ...i })) }, ok: 1 };
      default:
        return { ok: 0, errmsg: `no such command: '${name}'`, code: 59, codeName: 'CommandNotFound' };
    }
  }

  function reply(socket: net.Socket, responseTo: number, opCode: number, doc: Doc): void {
    const body = BSON.serialize(doc);
    if (opCode === OP_QUERY) {
      const buf = Buffer.alloc(16 + 20 + body.length);
      buf.writeInt32LE(buf.length, 0);
      buf.writeInt32LE(requestId++, 4);
      buf.writeInt32LE(responseTo, 8);
      buf.writeInt32LE(OP_REPLY, 12);
      buf.writeInt32LE(0, 16); // responseFlags
      buf.writeBigInt64LE(0n, 20); // cursorID
      buf.writeInt32LE(0, 28); // startingFrom
      buf.writeInt32LE(1, 32); // numberReturned
      Buffer.from(body).copy(buf, 36);
      socket.write(buf);
      return;
    }
    const buf = Buffer.alloc(16 + 5 + body.length);
    buf.writeInt32LE(buf.length, 0);
    buf.writeInt32LE(requestId++, 4);
    buf.writeInt32LE(responseTo, 8);
    buf.writeInt32LE(OP_MSG, 12);
    buf.writeUInt32LE(0, 16);
    buf.writeUInt8(0, 20);
    Buffer.from(body).copy(buf, 21);
    socket.write(buf);
  }

  function handle(socket: net.Socket, msg: Buffer): void {
    const requestID = msg.readInt32LE(4);
    const opCode = msg.readInt32LE(12);
    if (opCode === OP_QUERY) {
      let p = 20;
      const end = msg.indexOf(0, p);
      const fullName = msg.toString('utf8', p, end);
      p = end + 1 + 8;
      const query = BSON.deserialize(msg.subarray(p, p + msg.readInt32LE(p)));
      const cmd = query.$query ?? query;
      reply(socket, requestID, OP_QUERY, command(fullName.split('.')[0]!, cmd, {}));
      return;
    }
    if (opCode !== OP_MSG) return;
    const flags = msg.readUInt32LE(16);
    const endOfSections = flags & 1 ? msg.length - 4 : msg.length;
    let p = 20;
    let body: Doc = {};
    const sequences: Record<string, Doc[]> = {};
    while (p < endOfSections) {
      const kind = msg.readUInt8(p++);
      if (kind === 0) {
        const size = msg.readInt32LE(p);
        body = BSON.deserialize(msg.subarray(p, p + size), { promoteLongs: true });
        p += size;
      } else {
        const size = msg.readInt32LE(p);
        const sectionEnd = p + size;
        let q = p + 4;
        const idEnd = msg.indexOf(0, q);
        const id = msg.toString('utf8', q, idEnd);
        q = idEnd + 1;
        const docs: Doc[] = [];
        while (q < sectionEnd) {
          const len = msg.readInt32LE(q);
          docs.push(BSON.deserialize(msg.subarray(q, q + len)));
          q += len;
        }
        sequences[id] = docs;
        p = sectionEnd;
      }
    }
    const db = String(body.$db ?? 'admin');
    let res: Doc;
    try {
      res = command(db, body, sequences);
    } catch (err) {
      res = { ok: 0, errmsg: (err as Error).message, code: 1 };
    }
    if (!(flags & 2)) reply(socket, requestID, OP_MSG, res); // 2 = moreToCome: no reply
  }

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= pending.readInt32LE(0)) {
        const len = pending.readInt32LE(0);
        const msg = pending.subarray(0, len);
        pending = pending.subarray(len);
        handle(socket, msg);
      }
    });
  });
  const listen = (port: number) =>
    new Promise<number>((resolve) =>
      server.listen(port, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
    );
  port = await listen(0);
  return {
    uri: `mongodb://127.0.0.1:${port}/?directConnection=true`,
    port,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
    async start() {
      await listen(port);
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => (server.listening ? server.close(() => r()) : r()));
    },
    collection: (db, name) => coll(db, name).docs,
    deny: (command, error) => void denials.set(command, error),
  };
}
