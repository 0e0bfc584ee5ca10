import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { commandEnv } from '../support/command-env.js';
import { useMongo } from '../support/mongo.js';

// "Every command works on MongoDB exactly as on the embedded store": one session of commands,
// run on each backend, must print the same (ids, keys and times normalised).
const server = useMongo();
const { ctx, run } = commandEnv({ VAPI_SERVER_SECRET: 'same-session-secret-0123456789' });
const PW = 'same-on-both-passphrase\n';
let dbSeq = 0;

const session: Array<{ argv: string[]; stdin?: string }> = [
  { argv: ['seed'] },
  { argv: ['seed'] },
  { argv: ['users', 'add', 'asha', '--password-stdin'], stdin: PW },
  { argv: ['users', 'add', 'ravi', '--username', 'asha', '--password-stdin'], stdin: `${PW}ravi-passphrase-123\n` },
  { argv: ['users', 'list', '--json'] },
  { argv: ['config', 'set', 'voice.voiceId', 'Elliot', 'clinic.holdMinutes', '7', '--json'] },
  { argv: ['config', 'show', '--json'] },
  { argv: ['sync', '--server-url', 'https://clinic.example.com', '--json'] },
  { argv: ['sync', '--check'] },
  { argv: ['call', '+919812345678', '--var', 'name=Asha', '--dry-run', '--json'] },
  { argv: ['chat', '--message', 'Hello', '--json'] },
  { argv: ['keys', 'rotate', '--username', 'asha', '--password-stdin'], stdin: PW },
  { argv: ['metrics', '--json'] },
  { argv: ['logs', '--json'] },
  { argv: ['logs', '--decrypt', '--json', '--username', 'ravi', '--password-stdin'], stdin: 'ravi-passphrase-123\n' },
  { argv: ['audit', '--json'] },
];

/** Replaces what differs between any two runs: generated ids, keys, times, the store location. */
const normalise = (s: string) =>
  s
    .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
    .replace(/\b[kr]\d{8}[0-9a-f]{6}\b/g, '<key>')
    .replace(/[A-Za-z0-9_-]{43}=*/g, '<b64>')
    .replace(/"(id|chatId|assistantId|toolId|orgId|sessionId)":"[^"]+"/g, '"$1":"<id>"')
    .replace(/mongodb:\/\/\S+ \(database \w+\)|\/tmp\/\S+?\/store/g, '<store>');

async function runSession(env: Record<string, string>): Promise<string[]> {
  const out: string[] = [];
  for (const step of session) {
    const r = await run(step.argv, { env, stdin: step.stdin });
    out.push(`$ ${step.argv.join(' ')} → ${r.code}\n${normalise(r.out)}${normalise(r.err)}`);
  }
  return out;
}

test('the same session of commands prints the same on the embedded store and on MongoDB', async () => {
  const local = await runSession({});
  // A fresh start for the second backend: no store, no .env (the blind-index key).
  for (const f of ['store', '.env']) fs.rmSync(path.join(ctx.tmp.dir, f), { recursive: true, force: true });
  // …and a fresh Vapi account, or the second sync would adopt what the first one made.
  for (const m of [ctx.fake.assistants, ctx.fake.tools, ctx.fake.credentials, ctx.fake.calls, ctx.fake.chats])
    m.clear();
  const env = { MONGODB_URI: server.uri(), MONGODB_DB: `receptionist_same_${process.pid}_${++dbSeq}` };
  const mongo = await runSession(env);
  expect(local.filter((s) => !/ → 0\n/.test(s))).toEqual([]);
  expect(mongo).toEqual(local);
}, 60_000);
