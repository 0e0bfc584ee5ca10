#!/usr/bin/env node
// The quickstart's main job on the embedded store: seed, start `serve`, send every sample
// Vapi event with `trigger` as one call, show the replies and the call log, then stop.
// Uses a fresh store in ./.receptionist-demo and a throwaway secret; needs no network.
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
const say = (s) => process.stdout.write(`\n\x1b[1m$ ${s}\x1b[0m\n`);
const run = async (args) => {
  say(`receptionist ${args.join(' ')}`);
  const r = await execa('node', [bin, ...args], { env, stdio: 'inherit', reject: false });
  if (r.exitCode !== 0) throw new Error(`receptionist ${args[0]} exited ${r.exitCode}`);
};

await run(['seed']);
say('receptionist users add admin --role admin --password-stdin   (the first admin creates the encryption keys)');
{
  const r = await execa('node', [bin, 'users', 'add', 'admin', '--role', 'admin', '--password-stdin'], {
    env,
    input: `${adminPassword}\n`,
    reject: false,
    stderr: 'inherit',
  });
  if (r.exitCode !== 0) throw new Error(`users add exited ${r.exitCode}`);
}
say('receptionist serve --port 0   (in the background; its log lines follow each request)');
const serve = execa('node', [bin, 'serve', '--port', '0', '--json'], { env, reject: false });
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
try {
  const callId = `call_demo_${randomBytes(4).toString('hex')}`;
  for (const event of [
    'assistant-request',
    'status-update',
    'tool-calls.list_doctors',
    'tool-calls.check_availability',
    'tool-calls.book_appointment',
    'tool-calls.get_ac_purchase_details',
    'tool-calls.get_warranty_info',
    'tool-calls.ac_troubleshooting',
    'tool-calls.schedule_ac_service',
    'end-of-call-report',
  ]) {
    await run(['trigger', event, '--url', url, '--call-id', callId]);
  }
  await run(['logs']);
} finally {
  serve.kill('SIGTERM');
  await serve;
}
process.stdout.write(
  `\nDone. Sensitive fields show as [sealed] above. To read them as the demo admin (password ${adminPassword}):\n  RECEPTIONIST_BLIND_INDEX_KEY=${env.RECEPTIONIST_BLIND_INDEX_KEY} npx receptionist logs --data-dir ${dataDir} --decrypt --username admin\n`,
);
