import path from 'node:path';
import readline from 'node:readline';
import type { DateTime } from 'luxon';
import { execa, type ResultPromise } from 'execa';
import { packageRoot } from '../../src/paths.js';
import { signBody } from '../../src/server/auth.js';

export const BIN = path.join(packageRoot(), 'bin', 'receptionist.js');
export const E2E_SECRET = 'e2e-secret-0123456789abcdef';

/**
 * POSTs `{message}` to a running serve, HMAC-signed with E2E_SECRET (or `secret`) over a fresh timestamp
 * (or `signedAt`, ms).
 */
export async function postSigned(
  url: string,
  message: unknown,
  opts: { secret?: string; signedAt?: number } = {},
): Promise<{ status: number; body: any; retryAfter: string | null }> {
  const body = Buffer.from(JSON.stringify({ message }));
  const ts = String(opts.signedAt ?? Date.now());
  const res = await fetch(url, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'x-timestamp': ts,
      'x-signature': signBody(opts.secret ?? E2E_SECRET, body, { timestamp: ts }),
    },
  });
  return { status: res.status, body: (await res.json()) as any, retryAfter: res.headers.get('retry-after') };
}

/** Runs the built CLI once (no TTY, no inherited secrets). */
export function cli(args: string[], opts: { cwd: string; env?: Record<string, string>; input?: string }) {
  return execa(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    env: { VAPI_SERVER_SECRET: E2E_SECRET, ...opts.env },
    extendEnv: false,
    reject: false,
    input: opts.input,
    timeout: 60_000,
  });
}

export interface RunningServe {
  url: string;
  proc: ResultPromise;
  stop(signal?: NodeJS.Signals): Promise<Awaited<ResultPromise>>;
}

/** Starts `serve --port 0 --json` and waits for its ready event. */
export async function startServe(
  cwd: string,
  extra: string[] = [],
  env: Record<string, string> = {},
): Promise<RunningServe> {
  const proc = execa(process.execPath, [BIN, 'serve', '--port', '0', '--json', ...extra], {
    cwd,
    // Admission control sheds by how late an answer would be, which depends on the machine's load: the
    // tests that are not about it give it a deadline no loaded CI machine reaches (the flag still wins).
    env: { VAPI_SERVER_SECRET: E2E_SECRET, RECEPTIONIST_ADMISSION_DEADLINE_MS: '120000', ...env },
    extendEnv: false,
    reject: false,
  });
  const url = await new Promise<string>((resolve, reject) => {
    const lines = readline.createInterface({ input: proc.stdout! });
    const timer = setTimeout(() => reject(new Error('serve did not become ready')), 20_000);
    lines.on('line', (line) => {
      const e = JSON.parse(line) as { kind: string; webhookUrl?: string };
      if (e.kind === 'ready') {
        clearTimeout(timer);
        resolve(e.webhookUrl!);
      }
    });
    void proc.then((r) => reject(new Error(`serve exited early (${r.exitCode}): ${r.stderr}`)));
  });
  return {
    url,
    proc,
    async stop(signal = 'SIGTERM') {
      proc.kill(signal);
      return proc;
    },
  };
}

export const E2E_ADMIN = { username: 'admin', password: 'e2e-admin-passphrase' };

/** seed + the first admin (which writes the blind-index key to <cwd>/.env): what serve needs. */
export async function setup(cwd: string, env: Record<string, string> = {}): Promise<void> {
  const seeded = await cli(['seed'], { cwd, env });
  if (seeded.exitCode !== 0) throw new Error(`seed failed: ${seeded.stderr}`);
  const admin = await cli(['users', 'add', E2E_ADMIN.username, '--password-stdin'], {
    cwd,
    env,
    input: `${E2E_ADMIN.password}\n`,
  });
  if (admin.exitCode !== 0) throw new Error(`users add failed: ${admin.stderr}`);
}

/** The doctor the burst tests book: five-minute slots, 06:00–22:00 every day (`doctors add` arguments). */
export const BURST_DOCTOR = [
  'doctors',
  'add',
  '--name',
  'Dr. Burst Test',
  '--specialty',
  'testing',
  '--hours',
  'mon-sun 06:00-22:00',
  '--slot-minutes',
  '5',
];

/**
 * The `tool-calls` message (call `call_<i>`, tool call `tc_<i>`) that books the i-th slot of
 * {@link BURST_DOCTOR}: days 2… after `today` (a start of day in the clinic's zone, from the real
 * clock), every five minutes from 6 AM, 192 a day, so every i is a distinct time.
 */
export function burstBooking(i: number, today: DateTime) {
  const date = today
    .plus({ days: 2 + Math.floor(i / 192), minutes: 360 + (i % 192) * 5 })
    .toFormat("cccc d MMMM 'at' h:mm a");
  return {
    type: 'tool-calls',
    call: { id: `call_${i}` },
    toolCallList: [
      {
        id: `tc_${i}`,
        function: {
          name: 'book_appointment',
          arguments: {
            name: 'Burst Patient',
            email: 'burst@example.com',
            phone: '+919812345678',
            reason: 'x',
            doctor: 'Burst',
            date,
          },
        },
      },
    ],
  };
}

/**
 * The patient flags of `appointments book` (in process or on the built binary): Asha Verma, a
 * national number, her email and a reason, unless given.
 */
export const patientFlags = (
  name = 'Asha Verma',
  phone = '98123 45678',
  more: { email?: string; reason?: string } = {},
) => [
  '--name',
  name,
  '--phone',
  phone,
  '--email',
  more.email ?? 'asha@example.com',
  '--reason',
  more.reason ?? 'chest pain',
];
