import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { cli, postSigned, setup, startServe, type RunningServe } from '../support/cli.js';
import { tempDir } from '../support/store.js';
import { spokenDayAhead } from '../support/dates.js';

// Issue 13 item 3: what was still plaintext at rest (patient names in appointments, customers and
// the reply cache, AC visit issue text, successEvaluation, raw emails that failed validation).
// A call carrying canary values goes through a real serve (--record); then every byte of the data
// dir (store, WAL, spool, recordings), the .env, and serve's stdout and stderr are searched.
const CANARY = {
  name: 'Zebulon Quixotic',
  email: 'zebulon.canary@example.org',
  badEmail: 'zebulon at canarymail',
  phone: '+919845077123',
  reason: 'canary-reason-migraine',
  issue: 'canary-issue-rattling',
  evaluation: 'canary-evaluation-excellent',
  summary: 'canary-summary-text',
  transcript: 'canary-transcript-text',
};

let tmp: ReturnType<typeof tempDir>;
let s: RunningServe | undefined;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(async () => {
  await s?.stop();
  tmp.cleanup();
});

/** Every file under `dir`, as latin1 text. */
function allText(dir: string): string {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = fs.statSync(p);
    if (st.isDirectory()) for (const n of fs.readdirSync(p)) walk(path.join(p, n));
    else out.push(fs.readFileSync(p).toString('latin1'));
  };
  walk(dir);
  return out.join('\n');
}

test('a call full of canaries leaves 0 plaintext hits in the data dir, the spool, recordings, stdout and stderr', async () => {
  await setup(tmp.dir);
  s = await startServe(tmp.dir, ['--record']);
  const call = { id: 'call_canary', type: 'inboundPhoneCall', customer: { number: CANARY.phone } };
  const tools = (name: string, args: Record<string, unknown>, id: string) => ({
    type: 'tool-calls',
    call,
    customer: { number: CANARY.phone },
    toolCallList: [{ id, type: 'function', function: { name, arguments: args } }],
  });
  const day = spokenDayAhead(2);
  const booking = {
    name: CANARY.name,
    phone: CANARY.phone,
    reason: CANARY.reason,
    date: `${day} at 11am`,
    specialty: 'general medicine',
  };
  const answers = [
    await postSigned(s.url, { type: 'assistant-request', call, customer: { number: CANARY.phone } }),
    await postSigned(s.url, tools('book_appointment', { ...booking, email: CANARY.badEmail }, 'tc_1')),
    await postSigned(s.url, tools('book_appointment', { ...booking, email: CANARY.email }, 'tc_2')),
    await postSigned(
      s.url,
      tools(
        'schedule_ac_service',
        {
          customerId: 'CUST-1001',
          customerName: 'Asha Verma',
          date: `${spokenDayAhead(3)} in the morning`,
          issue: CANARY.issue,
        },
        'tc_3',
      ),
    ),
    await postSigned(s.url, {
      type: 'end-of-call-report',
      call,
      customer: { number: CANARY.phone },
      endedReason: 'customer-ended-call',
      summary: CANARY.summary,
      artifact: { transcript: CANARY.transcript },
      analysis: { successEvaluation: CANARY.evaluation },
    }),
  ];
  expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
  expect(JSON.stringify(answers[2]!.body)).toMatch(/You're booked/);
  expect(JSON.stringify(answers[3]!.body)).toMatch(/visit ID is/);
  const stopped = await s.stop();
  s = undefined;
  const haystack = [
    allText(path.join(tmp.dir, '.receptionist')),
    String(stopped.stdout),
    String(stopped.stderr),
    // logs without a password, as anyone on the machine would run it.
    (await cli(['logs', '--json'], { cwd: tmp.dir })).stdout,
  ].join('\n');
  const hits = Object.entries(CANARY).filter(
    ([, v]) => haystack.includes(v) || haystack.includes(v.replace('+91', '')),
  );
  expect(hits).toEqual([]);
  // The name is there, sealed: an admin opens it.
  const opened = await cli(
    ['logs', '--decrypt', '--call', 'call_canary', '--json', '--username', 'admin', '--password-stdin'],
    {
      cwd: tmp.dir,
      input: 'e2e-admin-passphrase\n',
    },
  );
  expect(opened.stdout).toContain(CANARY.name);
  expect(opened.stdout).toContain(CANARY.evaluation);
}, 60_000);
