#!/usr/bin/env node
// The quickstart's main job on the embedded store: seed, start `serve`, send one call's worth of
// Vapi server messages with `trigger` (the caller is held a slot, books that slot, hears the ID the
// booking returned, asks about their AC), show the replies and the call log, then stop.
// Uses a fresh store in ./.receptionist-demo and a throwaway secret; needs no network.
// Honours NO_COLOR (and prints no escape codes when stdout is not a terminal).
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { randomBytes } from 'node:crypto';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'receptionist.js');
const dataDir = path.join(process.cwd(), '.receptionist-demo');
fs.rmSync(dataDir, { recursive: true, force: true });
// Throwaway secrets for the demo only; a real setup keeps them in .env (see README).
const env = {
  ...process.env,
  VAPI_SERVER_SECRET: randomBytes(24).toString('hex'),
  RECEPTIONIST_BLIND_INDEX_KEY: randomBytes(32).toString('base64url'),
  RECEPTIONIST_DATA_DIR: dataDir,
};
const adminPassword = `demo-${randomBytes(6).toString('hex')}`;
const bold = process.stdout.isTTY && !process.env.NO_COLOR ? (s) => `\x1b[1m${s}\x1b[0m` : (s) => s;
const say = (s) => process.stdout.write(`\n${bold(`$ ${s}`)}\n`);
const quoted = (args) => args.map((a) => (/[\s"']/.test(a) ? `"${a.replace(/"/g, '\\"')}"` : a)).join(' ');
const run = async (args) => {
  say(`receptionist ${quoted(args)}`);
  const r = await execa(process.execPath, [bin, ...args], { env, stdio: 'inherit', reject: false });
  if (r.exitCode !== 0) throw new Error(`receptionist ${args[0]} exited ${r.exitCode}`);
};

await run(['seed']);
say('receptionist users add admin --role admin --password-stdin   (the first admin creates the encryption keys)');
{
  const r = await execa(process.execPath, [bin, 'users', 'add', 'admin', '--role', 'admin', '--password-stdin'], {
    env,
    input: `${adminPassword}\n`,
    reject: false,
    stderr: 'inherit',
  });
  if (r.exitCode !== 0) throw new Error(`users add exited ${r.exitCode}`);
}
say('receptionist serve --port 0   (in the background; its log lines follow each request)');
const serve = execa(process.execPath, [bin, 'serve', '--port', '0', '--json'], { env, reject: false });
serve.stderr.pipe(process.stderr);
const url = await new Promise((resolve, reject) => {
  readline.createInterface({ input: serve.stdout }).on('line', (l) => {
    const e = JSON.parse(l);
    if (e.kind === 'ready') resolve(e.webhookUrl);
    if (e.kind === 'message')
      process.stdout.write(`  [serve] ${e.type} ${e.tools?.join(',') ?? ''} ${e.status} ${e.outcome} ${e.ms}ms\n`);
  });
  serve.then((r) => reject(new Error(`serve exited: ${r.stderr}`)));
});
// A made-up id, so `receptionist trigger --purge` could take the demo call out of a real store.
const callId = `trigger-demo${randomBytes(4).toString('hex')}`;
try {
  const send = (event, extra = []) => run(['trigger', event, '--url', url, '--call-id', callId, ...extra]);
  await send('assistant-request'); // the inline assistant, summarised (--json prints it whole)
  await send('status-update');
  await send('tool-calls.list_doctors');
  await send('tool-calls.check_availability'); // holds Tuesday 11 AM with a general physician …
  // … which book_appointment then books; the ID it returns is the one the caller hears.
  say(`receptionist trigger tool-calls.book_appointment --url ${url} --call-id ${callId} --json`);
  const booked = await execa(
    'node',
    [bin, 'trigger', 'tool-calls.book_appointment', '--url', url, '--call-id', callId, '--json'],
    {
      env,
      reject: false,
      stderr: 'inherit',
    },
  );
  if (booked.exitCode !== 0) throw new Error(`trigger book_appointment exited ${booked.exitCode}`);
  const result = JSON.parse(booked.stdout).body.results[0].result;
  process.stdout.write(`${result}\n`);
  const spokenId = /appointment ID is ((?:[A-Z0-9],? ?)+)\./.exec(result)?.[1] ?? 'K 7 M, H Q P, X Y 4';
  for (const event of [
    'tool-calls.get_ac_purchase_details',
    'tool-calls.get_warranty_info',
    'tool-calls.ac_troubleshooting',
    'tool-calls.schedule_ac_service',
  ])
    await send(event);
  await send('end-of-call-report', ['--var', `appointmentId=${spokenId}`]); // its transcript speaks that ID
  await run(['logs']); // a table on a terminal (CSV when piped), times in the clinic's zone
  await run(['logs', '--call', callId]); // the call in full: sealed fields stay [sealed] without --decrypt
} finally {
  serve.kill('SIGTERM');
  await serve;
}
process.stdout.write(
  `\nDone. Sensitive fields show as [sealed] above. To read them as the demo admin (password ${adminPassword}):\n  RECEPTIONIST_BLIND_INDEX_KEY=${env.RECEPTIONIST_BLIND_INDEX_KEY} npx receptionist logs --data-dir ${dataDir} --decrypt --username admin --call ${callId}\n`,
);
