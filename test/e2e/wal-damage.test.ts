import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { execa } from 'execa';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { BIN, E2E_SECRET, cli, postSigned, setup } from '../support/cli.js';
import { tempDir } from '../support/store.js';

// Issue 25 finding 7 on the built binary: acknowledged call logs, kill -9, one flipped byte in the
// write-ahead log. SQLite reads the bad frame as the end of the log and drops the commits after it;
// serve must say so at the next start instead of carrying on as if nothing happened.
let tmp: ReturnType<typeof tempDir>;
const procs: Array<ReturnType<typeof execa>> = [];
beforeEach(() => {
  tmp = tempDir('receptionist-e2e-wal-');
});
afterEach(async () => {
  for (const p of procs.splice(0)) {
    p.kill('SIGKILL');
    await p.catch(() => undefined);
  }
  tmp.cleanup();
});

/** serve --json; resolves with its URL and every event line it printed until it was ready. */
async function serve(): Promise<{
  url: string;
  events: Array<Record<string, unknown>>;
  proc: ReturnType<typeof execa>;
}> {
  const proc = execa(process.execPath, [BIN, 'serve', '--port', '0', '--json'], {
    cwd: tmp.dir,
    env: { VAPI_SERVER_SECRET: E2E_SECRET },
    extendEnv: false,
    reject: false,
  });
  procs.push(proc);
  const events: Array<Record<string, unknown>> = [];
  const url = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: proc.stdout! }).on('line', (line) => {
      const e = JSON.parse(line) as Record<string, unknown>;
      events.push(e);
      if (e.kind === 'ready') resolve(e.webhookUrl as string);
    });
    void proc.then((r) => reject(new Error(`serve exited early (${r.exitCode}): ${r.stderr}`)));
  });
  return { url, events, proc };
}

const marks = () => {
  try {
    return JSON.parse(fs.readFileSync(path.join(tmp.dir, '.receptionist', 'acknowledged.json'), 'utf8')) as {
      callLogs: number;
    };
  } catch {
    return { callLogs: 0 };
  }
};

test('a flipped byte in the WAL after kill -9: serve warns at start that acknowledged call logs are gone', async () => {
  await setup(tmp.dir);
  const first = await serve();
  for (let i = 0; i < 60; i++) {
    const r = await postSigned(first.url, {
      type: 'end-of-call-report',
      endedReason: 'customer-ended-call',
      call: { id: `call_wal_${i}`, type: 'inboundPhoneCall' },
      artifact: { transcript: `AI: call ${i}` },
      analysis: {},
    });
    expect(r.status).toBe(200);
  }
  // The marks follow within a quarter second of the last acknowledgement.
  for (let i = 0; i < 200 && marks().callLogs < 60; i++) await new Promise((r) => setTimeout(r, 50));
  expect(marks().callLogs).toBeGreaterThanOrEqual(60);
  first.proc.kill('SIGKILL');
  await first.proc.catch(() => undefined);

  // A byte of a frame in the middle of the WAL's page data (after its 32-byte header and the frame's 24-byte header).
  const wal = path.join(tmp.dir, '.receptionist', 'receptionist.db-wal');
  const bytes = fs.readFileSync(wal);
  const pageSize = bytes.readUInt32BE(8);
  const frames = Math.floor((bytes.length - 32) / (24 + pageSize));
  expect(frames).toBeGreaterThan(4);
  const at = 32 + Math.floor(frames / 2) * (24 + pageSize) + 24 + 100;
  bytes[at] = bytes[at]! ^ 0xff;
  fs.writeFileSync(wal, bytes);

  const second = await serve();
  const warning = second.events.find((e) => e.kind === 'warning' && /fewer call logs/.test(String(e.message)));
  expect(warning?.message).toMatch(
    /^The store holds fewer call logs \(up to row \d+ then, \d+ now\) than serve had acknowledged by .*write-ahead log .*restore the last backup/,
  );
  const logs = JSON.parse((await cli(['logs', '--json', '--limit', '100'], { cwd: tmp.dir })).stdout) as unknown[];
  expect(logs.length).toBeLessThan(60);
});

test('a clean stop checkpoints the WAL and records the marks; the next start has nothing to say', async () => {
  await setup(tmp.dir);
  const first = await serve();
  expect(
    (
      await postSigned(first.url, {
        type: 'end-of-call-report',
        endedReason: 'customer-ended-call',
        call: { id: 'call_clean', type: 'inboundPhoneCall' },
        artifact: { transcript: 'AI: hello' },
        analysis: {},
      })
    ).status,
  ).toBe(200);
  first.proc.kill('SIGTERM');
  await first.proc;
  expect(marks().callLogs).toBeGreaterThanOrEqual(1);
  // Checkpointed: the WAL is empty, or gone with the last connection.
  const wal = path.join(tmp.dir, '.receptionist', 'receptionist.db-wal');
  expect(fs.existsSync(wal) ? fs.statSync(wal).size : 0).toBe(0);
  const second = await serve();
  expect(second.events.filter((e) => e.kind === 'warning')).toEqual([]);
});
