import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { BIN, E2E_ADMIN, E2E_SECRET, cli, setup, startServe } from '../support/cli.js';
import { tempDir } from '../support/store.js';

// `logs --decrypt` in a real pseudo-terminal (tmux): the prompts appear, the password is not
// echoed, and the transcript is shown. Each test uses its own tmux server socket.
let tmp: ReturnType<typeof tempDir>;
let socket: string;
beforeEach(() => {
  tmp = tempDir('receptionist-tty-');
  socket = `receptionist-test-${process.pid}-${Date.now()}`;
});
afterEach(() => {
  try {
    execFileSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
  } catch {
    // Already gone.
  }
  tmp.cleanup();
});

const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', 'main', '-S', '-200');

async function waitFor(pattern: RegExp, ms = 20_000): Promise<string> {
  const until = Date.now() + ms;
  for (;;) {
    const text = screen();
    if (pattern.test(text)) return text;
    if (Date.now() > until) throw new Error(`timed out waiting for ${pattern}; screen:\n${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function loggedCall(): Promise<void> {
  await setup(tmp.dir);
  const s = await startServe(tmp.dir);
  const r = await cli(['trigger', 'end-of-call-report', '--url', s.url, '--call-id', 'call_tty'], { cwd: tmp.dir });
  expect(r.exitCode, r.stderr).toBe(0);
  await s.stop();
}

function startInTmux(command: string): void {
  tmux(
    'new-session',
    '-d',
    '-s',
    'main',
    '-x',
    '160',
    '-y',
    '50',
    '-c',
    tmp.dir,
    '-e',
    'NO_COLOR=1',
    `${command}; echo "EXIT=$?"; sleep 60`,
  );
}

test('logs --decrypt prompts for username and hidden password, then shows the call in full', async () => {
  await loggedCall();
  startInTmux(`node ${BIN} logs --decrypt --call call_tty`);
  await waitFor(/Username/);
  tmux('send-keys', '-t', 'main', E2E_ADMIN.username, 'Enter');
  await waitFor(/Password/);
  tmux('send-keys', '-t', 'main', E2E_ADMIN.password, 'Enter');
  const text = await waitFor(/EXIT=\d+/);
  expect(text).toContain('EXIT=0');
  expect(text).toMatch(/Caller:\s+\+919812345678/);
  expect(text).toContain('AI: Welcome! Are you calling for a doctor appointment or AC support today?');
  expect(text).not.toContain(E2E_ADMIN.password);
}, 60_000);

test('a wrong password in the terminal exits 5 and shows no plaintext', async () => {
  await loggedCall();
  startInTmux(`node ${BIN} logs --decrypt --call call_tty`);
  await waitFor(/Username/);
  tmux('send-keys', '-t', 'main', E2E_ADMIN.username, 'Enter');
  await waitFor(/Password/);
  tmux('send-keys', '-t', 'main', 'not-the-password', 'Enter');
  const text = await waitFor(/EXIT=\d+/);
  expect(text).toContain('EXIT=5');
  expect(text).toContain('Wrong username or password.');
  expect(text).not.toMatch(/9812345678|AI: Welcome/);
}, 60_000);

test('studio on a terminal: each link works once, Enter prints a new one, Ctrl-C stops it cleanly', async () => {
  await setup(tmp.dir);
  startInTmux(`VAPI_SERVER_SECRET=${E2E_SECRET} node ${BIN} studio --port 0 --no-open`);
  const links = () => [...screen().matchAll(/Open (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/g)].map((m) => m[1]!);
  await waitFor(/press Enter for a new one/);
  const [first] = links();
  expect((await fetch(first!, { redirect: 'manual' })).status).toBe(303);
  expect((await fetch(first!, { redirect: 'manual' })).status).toBe(401);
  tmux('send-keys', '-t', 'main', 'Enter');
  const until = Date.now() + 10_000;
  while (links().length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  const second = links()[1];
  expect(second).toBeDefined();
  expect(second).not.toBe(first);
  expect((await fetch(second!, { redirect: 'manual' })).status).toBe(303);
  tmux('send-keys', '-t', 'main', 'C-c');
  expect(await waitFor(/EXIT=\d+/)).toContain('EXIT=0');
}, 60_000);
