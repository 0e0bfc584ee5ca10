// PERF-4, ENC-2, ENC-4 and ENC-7, on the built code (dist/): decrypting 10,000 call logs after one
// password unlock, the unlock itself, a caller lookup by blind index over 100,000 customers, and
// what one brute-force guess of the blind index costs with serve's whole environment.
import { fileURLToPath } from 'node:url';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(path.join(root, 'dist', p));
const { openSqliteStore } = await dist('store/sqlite/index.js');
const { initKeyring, activeSealingKey, unlock } = await dist('domain/keyring.js');
const { createSealer } = await dist('domain/sealer.js');
const { sealCallLog } = await dist('domain/call-records.js');
const { blindIndex } = await dist('crypto/blind-index.js');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function cryptoBench() {
  const dir = process.env.BENCH_CRYPTO_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'receptionist-bench-crypto-'));
  try {
    const password = 'bench-admin-passphrase';
    const blindKey = Buffer.alloc(32, 9);
    let store = await openSqliteStore({ dir });
    await initKeyring(store, 'admin', password, new Date());
    const sealer = createSealer(await activeSealingKey(store), blindKey);
    const transcript =
      'AI: Welcome! Are you calling for a doctor appointment or AC support today?\nUser: I would like to book a general physician for Tuesday at eleven.\n'.repeat(
        8,
      );
    const records = Array.from({ length: 10_000 }, (_, i) =>
      sealCallLog(
        {
          callId: `call_${i}`,
          callType: 'inboundPhoneCall',
          assistantId: 'a',
          startedAt: '2026-11-01T10:00:00.000Z',
          endedAt: new Date(Date.UTC(2026, 10, 1, 10, 0, i)).toISOString(),
          durationSeconds: 120,
          endedReason: 'customer-ended-call',
          cost: 0.1,
          costBreakdown: '',
          // 500 distinct callers: a clinic's callers call again (each number's index is stretched once).
          customerNumber: `+9198${String(10000000 + (i % 500))}`,
          customerIndex: '',
          summary: 'Booked a visit.',
          transcript,
          recordingUrl: `https://rec/${i}.wav`,
          successEvaluation: 'true',
          receivedAt: '2026-11-01T10:03:00.000Z',
        },
        sealer,
      ),
    );
    // Into the store's call log, one transaction (the records are the product's; only the commit is batched).
    await store.atomically(async () => {
      for (const r of records) await store.callLogs.append(r);
    });
    await store.close();

    // ENC-2: one unlock at the stored (OWASP) parameters.
    store = await openSqliteStore({ dir, readOnly: true });
    const unlocks = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      await unlock(store, 'admin', password);
      unlocks.push(performance.now() - t);
    }
    await store.close();

    // PERF-4: the whole command, as a user runs it.
    const env = { ...process.env, RECEPTIONIST_PASSWORD: password, RECEPTIONIST_USERNAME: 'admin' };
    const runs = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      const r = spawnSync(
        'node',
        [path.join(root, 'bin', 'receptionist.js'), '--data-dir', dir, 'logs', '--decrypt', '--json'],
        { env, maxBuffer: 1 << 30 },
      );
      if (r.status !== 0) throw new Error(`logs --decrypt exited ${r.status}: ${r.stderr}`);
      if (JSON.parse(r.stdout).length !== 10_000) throw new Error('wrong number of records');
      runs.push(performance.now() - t);
    }

    // ENC-7: one guess with serve's whole environment (the key) is one stretch of a number not seen before.
    const guesses = [];
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      blindIndex(blindKey, `+9196${String(20000000 + i)}`);
      guesses.push(performance.now() - t);
    }
    const guessMs = median(guesses);

    // ENC-4: lookup by blind index over 100,000 customers. The 200 looked up carry their real
    // (memory-hard) index; the others a random one of the same form (100,000 stretches would take
    // ~20 min and measure the stretch, which ENC-7 does above). Timed: the store's look-up, given
    // the caller's index (serve stretches each number once and remembers it).
    store = await openSqliteStore({ dir });
    const customers = store.collection('customers');
    const probed = Array.from({ length: 200 }, () => Math.floor(Math.random() * 100_000));
    const real = new Map(probed.map((n) => [n, blindIndex(blindKey, `+9197${String(10000000 + n)}`)]));
    for (let b = 0; b < 100; b++) {
      await Promise.all(
        Array.from({ length: 1000 }, (_, j) => {
          const i = b * 1000 + j;
          return customers.insertOne({
            _id: `c${i}`,
            name: `Customer ${i}`,
            phoneIndex: real.get(i) ?? crypto.randomBytes(32).toString('base64url'),
            phone: 'sealed:v1:x:y',
          });
        }),
      );
    }
    const lookups = [];
    for (const n of probed) {
      const index = blindIndex(blindKey, `+9197${String(10000000 + n)}`);
      const t = performance.now();
      const found = await customers.findOne({ phoneIndex: index });
      lookups.push(performance.now() - t);
      if (found?._id !== `c${n}`) throw new Error('lookup failed');
    }
    await store.close();
    return {
      unlockMs: median(unlocks),
      decryptMs: median(runs),
      lookupMs: median(lookups),
      lookupP99Ms: [...lookups].sort((a, b) => a - b)[197],
      guessMs,
      // Indian mobile numbers: 10 digits starting 6–9, 4 × 10⁹ of them (the national number space).
      nationalCoreYears: (4e9 * guessMs) / 1000 / 86_400 / 365,
    };
  } finally {
    if (!process.env.BENCH_CRYPTO_DIR) fs.rmSync(dir, { recursive: true, force: true });
  }
}
