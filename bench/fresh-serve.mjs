// A fresh seeded store with an admin and `serve --json` on a free port, for the benchmarks that need
// nothing more (bench/overload.mjs, bench/attacks.mjs); removed by `stop()`.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'receptionist.js');

/** Seeds a store in a temp folder, adds an admin, starts serve with `secret`; resolves when it is ready. */
export async function freshServe(name, secret, extraEnv = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `receptionist-bench-${name}-`));
  const env = { ...process.env, VAPI_SERVER_SECRET: secret, RECEPTIONIST_PASSWORD: undefined, ...extraEnv };
  const run = (args, input) => {
    const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, env, input, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  };
  run(['seed']);
  run(['users', 'add', 'bench', '--password-stdin'], `bench-${name}-passphrase\n`);
  const proc = spawn(process.execPath, [bin, 'serve', '--port', '0', '--json'], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const stop = async () => {
    proc.kill('SIGTERM');
    if (proc.exitCode === null) await new Promise((r) => proc.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const url = await new Promise((resolve, reject) => {
      readline.createInterface({ input: proc.stdout }).on('line', (l) => {
        try {
          const e = JSON.parse(l);
          if (e.kind === 'ready') resolve(e.webhookUrl);
        } catch {
          /* not JSON */
        }
      });
      proc.on('exit', (c) => reject(new Error(`serve exited ${c}`)));
    });
    return { url, pid: proc.pid, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Replaces (or adds) one `<!-- name -->` section of docs/benchmarks.md. */
export function writeSection(name, section) {
  const file = path.join(root, 'docs', 'benchmarks.md');
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const marked = new RegExp(`<!-- ${name} -->[\\s\\S]*<!-- /${name} -->\\n?`);
  const next = marked.test(current)
    ? current.replace(marked, section)
    : current.includes('<!-- gaps -->')
      ? current.replace('<!-- gaps -->', `${section}\n<!-- gaps -->`)
      : `${current}\n${section}`;
  fs.writeFileSync(file, next);
}
