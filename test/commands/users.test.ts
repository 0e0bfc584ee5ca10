import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { main } from '../../src/cli.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { blindIndex, blindNameIndex, parseBlindIndexKey } from '../../src/crypto/blind-index.js';
import { activeSealingKey } from '../../src/domain/keyring.js';
import { createSealer } from '../../src/domain/sealer.js';
import { recordCallLog } from '../../src/domain/call-records.js';
import { emptyCallLog } from '../../src/domain/call-log-query.js';
import { testDeps } from '../support/deps.js';
import { readDotenv } from '../../src/deps.js';
import { tempDir } from '../support/store.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

const PW_ASHA = 'asha-long-passphrase';
const PW_RAVI = 'ravi-long-passphrase';

async function run(
  argv: string[],
  opts: { stdin?: string; tty?: boolean; answers?: string[]; env?: Record<string, string> } = {},
) {
  const d = testDeps({
    cwd: tmp.dir,
    tty: opts.tty,
    answers: opts.answers,
    env: opts.env,
    dotenv: readDotenv(tmp.dir).values,
    stdin: Readable.from(opts.stdin === undefined ? [] : [opts.stdin]),
  });
  const code = await main(['--data-dir', path.join(tmp.dir, 'store'), ...argv], d);
  return { code, out: d.io.stdout(), err: d.io.stderr(), asked: d.prompter.asked, slept: d.slept };
}

describe('receptionist users / keys', () => {
  test('users list and audit are tables on a terminal, tab-separated lines in a pipe', async () => {
    await run(['seed']);
    await run(['users', 'add', 'asha', '--password-stdin'], { stdin: `${PW_ASHA}\n` });
    const table = await run(['users', 'list'], { tty: true });
    expect(table.out).toMatch(/│ Username +│ Role +│ Created +│ Password changed +│/);
    expect(table.out).toMatch(/│ asha +│ admin +│ 2026-11-21 +│ 2026-11-21 +│/);
    expect((await run(['users', 'list'])).out).toBe('asha\tadmin\tcreated 2026-11-21\tpassword changed 2026-11-21\n');
    const audit = await run(['audit'], { tty: true });
    expect(audit.out).toMatch(/│ Time +│ User +│ Action +│ Details +│/);
    expect(audit.err).toContain("Times are in the clinic's zone, Asia/Kolkata.");
    expect(audit.out).toMatch(/│ 2026-11-21 10:00:00 +│ asha +│ keys\.init +│ keyId=k20261121/);
  });

  test('without a TTY and without --password-stdin it exits 4 naming the flag, and creates nothing', async () => {
    const r = await run(['users', 'add', 'asha']);
    expect(r.code).toBe(4);
    expect(r.err).toContain('Pass --password-stdin (or set RECEPTIONIST_NEW_PASSWORD)');
    expect(fs.existsSync(path.join(tmp.dir, '.env'))).toBe(false);
  });

  test('the first admin creates the keys and writes the blind-index key to .env with a backup warning', async () => {
    const r = await run(['users', 'add', 'asha', '--password-stdin'], { stdin: `${PW_ASHA}\n` });
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(
      /^Created admin asha and encryption key k20261121[0-9a-f]{6}\.\nWarning: wrote RECEPTIONIST_BLIND_INDEX_KEY to .*\.env\. Back it up/,
    );
    const env = fs.readFileSync(path.join(tmp.dir, '.env'), 'utf8');
    // The blind-index key, and the pin of the key serve may seal to (issue 13 item 5).
    expect(env).toMatch(
      /^RECEPTIONIST_BLIND_INDEX_KEY=[A-Za-z0-9_-]{43}\nRECEPTIONIST_SEALING_KEY_PIN=k20261121[0-9a-f]{6}:[A-Za-z0-9_-]{43},r20261121[0-9a-f]{6}:[A-Za-z0-9_-]{43}\n$/,
    );
    expect(fs.statSync(path.join(tmp.dir, '.env')).mode & 0o777).toBe(0o600);
    // The key is never in the store.
    const storeFiles = fs
      .readdirSync(path.join(tmp.dir, 'store'))
      .map((f) => fs.readFileSync(path.join(tmp.dir, 'store', f), 'utf8'))
      .join('');
    expect(storeFiles).not.toContain(/RECEPTIONIST_BLIND_INDEX_KEY=(\S+)/.exec(env)![1]);
  });

  test('on a terminal: username and password prompts, the new password asked twice; a mismatch exits 2', async () => {
    await run(['users', 'add', 'asha', '--password-stdin'], { stdin: PW_ASHA });
    const ok = await run(['users', 'add', 'ravi'], { tty: true, answers: ['asha', PW_ASHA, PW_RAVI, PW_RAVI] });
    expect(ok.code, ok.err).toBe(0);
    expect(ok.asked).toEqual(['Username', 'Password', 'Password for ravi', 'Password for ravi (again)']);
    const mismatch = await run(['users', 'add', 'mira'], {
      tty: true,
      answers: ['asha', PW_ASHA, 'mira-passphrase-1', 'mira-passphrase-2'],
    });
    expect(mismatch.code).toBe(2);
    expect(mismatch.err).toContain('Error: The two passwords differ.');
    expect(
      JSON.parse((await run(['users', 'list', '--json'])).out).map((u: { username: string }) => u.username),
    ).toEqual(['asha', 'ravi']);
  });

  test('a wrong password or unknown user exits 5 with one message and changes nothing', async () => {
    await run(['users', 'add', 'asha', '--password-stdin'], { stdin: PW_ASHA });
    for (const [user, pw] of [
      ['asha', 'wrong-passphrase!'],
      ['nobody', PW_ASHA],
    ]) {
      const r = await run(['users', 'add', 'ravi', '--username', user!, '--password-stdin'], {
        stdin: `${pw}\n${PW_RAVI}\n`,
      });
      expect(r.code).toBe(5);
      expect(r.err).toBe(
        'Error: Wrong username or password.\n  Check the username and password; `receptionist users list` shows the admins.\n',
      );
      expect(r.out).toBe('');
    }
    expect(JSON.parse((await run(['users', 'list', '--json'])).out)).toHaveLength(1);
  });

  test('passwd, remove (never the last admin) and keys rotate, each audited', async () => {
    await run(['keys', 'init', 'asha', '--password-stdin'], { stdin: PW_ASHA });
    expect(
      (
        await run(['users', 'add', 'ravi', '--username', 'asha', '--password-stdin'], {
          stdin: `${PW_ASHA}\n${PW_RAVI}\n`,
        })
      ).code,
    ).toBe(0);
    expect(
      (await run(['users', 'passwd', 'ravi', '--password-stdin'], { stdin: `${PW_RAVI}\nravi-new-passphrase\n` })).code,
    ).toBe(0);
    expect(
      (await run(['keys', 'rotate', '--username', 'ravi', '--password-stdin'], { stdin: 'ravi-new-passphrase\n' }))
        .code,
    ).toBe(0);
    expect(
      (
        await run(['users', 'remove', 'ravi', '--password-stdin'], {
          env: { RECEPTIONIST_USERNAME: 'asha', RECEPTIONIST_PASSWORD: PW_ASHA },
        })
      ).code,
    ).toBe(0);
    const last = await run(['users', 'remove', 'asha', '--username', 'asha', '--password-stdin'], { stdin: PW_ASHA });
    expect(last.code).toBe(1);
    expect(last.err).toContain('The last admin cannot be removed');
    const store = await openSqliteStore({ dir: path.join(tmp.dir, 'store'), readOnly: true });
    // Same fixed clock for every entry: compare as a set.
    const audit = (await store.audit.list()).map((a) => `${a.action} by ${a.user}`).sort();
    expect(audit).toEqual([
      'keys.init by asha',
      'keys.rotate by ravi',
      'users.add by asha',
      'users.passwd by ravi',
      'users.remove by asha',
    ]);
    // One active key per role: the admin's, and the receptionist's (names).
    expect(await store.collection('keys').count({ status: 'active' })).toBe(2);
    await store.close();
  });

  test("users passwd ravi --username asha sets ravi's password, not asha's; ravi opens sealed data with it", async () => {
    await run(['keys', 'init', 'asha', '--password-stdin'], { stdin: PW_ASHA });
    await run(['users', 'add', 'ravi', '--username', 'asha', '--password-stdin'], {
      stdin: `${PW_ASHA}\n${PW_RAVI}\n`,
    });
    const reset = await run(['users', 'passwd', 'ravi', '--username', 'asha', '--password-stdin', '--json'], {
      stdin: `${PW_ASHA}\nravi-reset-passphrase\n`,
    });
    expect(reset.code, reset.err).toBe(0);
    expect(JSON.parse(reset.out)).toMatchObject({ action: 'users.passwd', username: 'ravi', by: 'asha' });
    // asha's password is unchanged; ravi's old one is refused and the new one opens his keys.
    const asUser = (user: string, pw: string) =>
      run(['keys', 'rotate', '--username', user, '--password-stdin'], { stdin: `${pw}\n` });
    expect((await asUser('asha', PW_ASHA)).code).toBe(0);
    expect((await asUser('ravi', PW_RAVI)).code).toBe(5);
    expect((await asUser('ravi', 'ravi-reset-passphrase')).code).toBe(0);
    // The same through RECEPTIONIST_USERNAME; an unknown target changes nothing.
    const unknown = await run(['users', 'passwd', 'nobody', '--password-stdin'], {
      env: { RECEPTIONIST_USERNAME: 'asha' },
      stdin: `${PW_ASHA}\nsome-new-passphrase-1\n`,
    });
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('No user "nobody".');
    const store = await openSqliteStore({ dir: path.join(tmp.dir, 'store'), readOnly: true });
    expect((await store.audit.list()).filter((a) => a.action === 'users.passwd')).toEqual([
      expect.objectContaining({ user: 'asha', details: { username: 'ravi' } }),
    ]);
    await store.close();
  });

  test('the first admin seals, in place, records stored in plaintext before the keys existed; nothing is lost', async () => {
    expect((await run(['seed'])).code).toBe(0);
    const dir = path.join(tmp.dir, 'store');
    const before = await openSqliteStore({ dir });
    await before.callLogs.append({
      callId: 'call_plain',
      callType: 'webCall',
      assistantId: 'a',
      startedAt: '',
      endedAt: '2026-11-20T10:00:00.000Z',
      durationSeconds: 5,
      endedReason: 'x',
      cost: null,
      costBreakdown: '',
      customerNumber: '+919812345678',
      customerIndex: '',
      summary: 'plain summary',
      transcript: 'plain transcript',
      recordingUrl: '',
      successEvaluation: '',
      receivedAt: '2026-11-20T10:00:00.000Z',
    });
    await before.close();
    const r = await run(['users', 'add', 'asha', '--password-stdin'], { stdin: PW_ASHA });
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('Sealed existing records in place: 1 call logs, 0 appointments, 3 customers.');
    for (const f of fs.readdirSync(dir))
      expect([f, fs.readFileSync(path.join(dir, f), 'utf8')]).not.toEqual([
        f,
        expect.stringMatching(/9812345678|plain summary|plain transcript|asha\.verma@example\.com/),
      ]);
    const decrypted = await run(['logs', '--decrypt', '--json', '--username', 'asha', '--password-stdin'], {
      stdin: PW_ASHA,
      env: { RECEPTIONIST_BLIND_INDEX_KEY: /=(\S+)/.exec(fs.readFileSync(path.join(tmp.dir, '.env'), 'utf8'))![1]! },
    });
    expect(JSON.parse(decrypted.out)).toEqual([
      expect.objectContaining({
        callId: 'call_plain',
        customerNumber: '+919812345678',
        summary: 'plain summary',
        transcript: 'plain transcript',
      }),
    ]);
  });

  test('a lost blind-index key: serve refuses and names keys reindex; reindex makes a new key and lookups work again', async () => {
    await run(['seed']);
    await run(['users', 'add', 'asha', '--password-stdin'], { stdin: PW_ASHA });
    // The blind-index key is lost; the key pin beside it is kept.
    const dotenv = path.join(tmp.dir, '.env');
    fs.writeFileSync(dotenv, fs.readFileSync(dotenv, 'utf8').replace(/^RECEPTIONIST_BLIND_INDEX_KEY=.*\n/m, ''));
    const serve = await run(['serve', '--port', '0'], { env: { VAPI_SERVER_SECRET: 'test-secret-0123456789abcdef' } });
    expect(serve.code).toBe(1);
    expect(serve.err).toContain(
      'RECEPTIONIST_BLIND_INDEX_KEY is not set, so callers cannot be looked up by phone.\n  Restore it from your backup of .env, or run `receptionist keys reindex`',
    );
    const r = await run(['keys', 'reindex', '--username', 'asha', '--password-stdin'], { stdin: PW_ASHA });
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(
      /^Rebuilt the blind index: 0 call logs, 0 appointments, 3 customers\.\nWarning: wrote a new RECEPTIONIST_BLIND_INDEX_KEY/,
    );
    const key = parseBlindIndexKey(
      /RECEPTIONIST_BLIND_INDEX_KEY=(\S+)/.exec(fs.readFileSync(path.join(tmp.dir, '.env'), 'utf8'))![1]!,
    )!;
    const store = await openSqliteStore({ dir: path.join(tmp.dir, 'store'), readOnly: true });
    // Found by the new index: CUST-1001 (its name is sealed; its name index is rebuilt too).
    expect(await store.collection('customers').findOne({ phoneIndex: blindIndex(key, '+919812345678') })).toMatchObject(
      { customerId: 'CUST-1001', nameIndex: blindNameIndex(key, 'Asha Verma') },
    );
    await store.close();
    expect(JSON.parse((await run(['audit', '--json'])).out).map((a: { action: string }) => a.action)).toEqual([
      'keys.reindex',
      'keys.init',
    ]);
  });

  test('Ctrl-C at a prompt exits 130 quietly', async () => {
    await run(['users', 'add', 'asha', '--password-stdin'], { stdin: PW_ASHA });
    const d = testDeps({ cwd: tmp.dir, tty: true });
    d.prompter.input = async () => {
      throw Object.assign(new Error('User force closed the prompt with SIGINT'), { name: 'ExitPromptError' });
    };
    expect(await main(['--data-dir', path.join(tmp.dir, 'store'), 'logs', '--decrypt'], d)).toBe(130);
    expect(d.io.stdout() + d.io.stderr()).toBe('');
  });

  test('a damaged keyring entry gets a clear message, not a stack', async () => {
    await run(['users', 'add', 'asha', '--password-stdin'], { stdin: PW_ASHA });
    const store = await openSqliteStore({ dir: path.join(tmp.dir, 'store') });
    await store.collection('users').updateOne({ _id: 'asha' }, { $set: { wrap: { kdf: 'garbage' } } });
    await store.close();
    const r = await run(['logs', '--decrypt', '--username', 'asha', '--password-stdin'], { stdin: PW_ASHA });
    expect(r.code).toBe(1);
    expect(r.err).toContain('Error: The keyring entry of asha is damaged');
    expect(r.out).toBe('');
  });

  test('ENC-6: a tampered sealed field stops logs --decrypt before any plaintext is printed', async () => {
    await run(['users', 'add', 'asha', '--password-stdin'], { stdin: PW_ASHA });
    const blind = parseBlindIndexKey(/=(\S+)/.exec(fs.readFileSync(path.join(tmp.dir, '.env'), 'utf8'))![1]!)!;
    const store = await openSqliteStore({ dir: path.join(tmp.dir, 'store') });
    const sealer = createSealer((await activeSealingKey(store))!, blind);
    for (const id of ['call_a', 'call_b']) {
      await recordCallLog(
        store,
        {
          callId: id,
          callType: 'webCall',
          assistantId: '',
          startedAt: '',
          endedAt: `2026-11-20T10:00:0${id === 'call_a' ? 1 : 2}.000Z`,
          durationSeconds: 1,
          endedReason: 'x',
          cost: null,
          costBreakdown: '',
          customerNumber: '+919812345678',
          customerIndex: '',
          summary: `secret summary ${id}`,
          transcript: 'secret transcript',
          recordingUrl: '',
          successEvaluation: '',
          receivedAt: '',
        },
        sealer,
      );
    }
    // Flip one character inside call_a's sealed transcript, the second row printed (the row checksum is recomputed, as an attacker would).
    await store.callLogs.rewrite((r) =>
      r.callId === 'call_a'
        ? {
            ...r,
            transcript: r.transcript.slice(0, -5) + (r.transcript.at(-5) === 'A' ? 'B' : 'A') + r.transcript.slice(-4),
          }
        : r,
    );
    await store.close();
    const r = await run(['logs', '--decrypt', '--json', '--username', 'asha', '--password-stdin'], { stdin: PW_ASHA });
    expect(r.code).toBe(3);
    expect(r.out).toBe('');
    // Under --json the error is one JSON object on stderr.
    expect(JSON.parse(r.err)).toMatchObject({
      code: 'store',
      exitCode: 3,
      message:
        'Call call_a: the sealed transcript failed authentication (tampered with, damaged, or sealed to a key you do not hold). Nothing was shown.',
    });
    expect(r.err).not.toContain('secret');
  });

  test('a too-short password is refused', async () => {
    const r = await run(['users', 'add', 'asha', '--password-stdin'], { stdin: 'short\n' });
    expect(r.code).toBe(2);
    expect(r.err).toContain('The password is shorter than 12 characters.');
  });

  test('issue 13 item 15: `users add jo.smith` is refused with the rule (it made an admin who could never decrypt)', async () => {
    for (const name of ['jo.smith', 'Jo', 'a', 'jo\x1b[2J']) {
      const r = await run(['users', 'add', name, '--password-stdin'], { stdin: `${PW_ASHA}\n` });
      expect(r.code, name).toBe(2);
      expect(r.err).toMatch(
        /^Error: Invalid username ".*": 2–32 characters, lowercase letters, digits, _ or -, starting with a letter \(no dots\)\./,
      );
      expect(r.err).not.toContain('\x1b');
    }
    expect(fs.existsSync(path.join(tmp.dir, '.env'))).toBe(false);
    // jo_smith works, and opens what is sealed to it.
    expect((await run(['users', 'add', 'jo_smith', '--password-stdin'], { stdin: `${PW_ASHA}\n` })).code).toBe(0);
    const store = await openSqliteStore({ dir: path.join(tmp.dir, 'store') });
    await recordCallLog(
      store,
      { ...emptyCallLog('c_jo', '2026-11-20T10:00:00.000Z'), transcript: 'jo can read this' },
      createSealer((await activeSealingKey(store))!, Buffer.alloc(32, 1)),
    );
    await store.close();
    const logs = await run(['logs', '--decrypt', '--json', '--username', 'jo_smith', '--password-stdin'], {
      stdin: `${PW_ASHA}\n`,
    });
    expect(logs.code, logs.err).toBe(0);
    expect(logs.out).toContain('jo can read this');
  });

  test('issue 13 item 6: failed unlocks are audited; after 5 in 15 minutes each further one waits longer', async () => {
    await run(['users', 'add', 'asha', '--password-stdin'], { stdin: PW_ASHA });
    const decrypt = (username: string, password: string) =>
      run(['logs', '--decrypt', '--json', '--username', username, '--password-stdin'], { stdin: `${password}\n` });
    const waits: number[][] = [];
    for (let i = 0; i < 7; i++) {
      const r = await decrypt('asha', `wrong-guess-number-${i}`);
      expect(r.code).toBe(5);
      expect(JSON.parse(r.err)).toMatchObject({ exitCode: 5, message: 'Wrong username or password.' });
      waits.push(r.slept);
    }
    expect(waits).toEqual([[], [], [], [], [], [1000], [2000]]);
    // The right password still works, after its wait; another user is not slowed by asha's failures.
    const right = await decrypt('asha', PW_ASHA);
    expect([right.code, right.slept]).toEqual([0, [4000]]);
    const unknown = await decrypt('mallory', 'whatever-password');
    expect([unknown.code, unknown.slept, JSON.parse(unknown.err).message]).toEqual([
      5,
      [],
      'Wrong username or password.',
    ]);
    const audit = JSON.parse((await run(['audit', '--json'])).out) as Array<{
      user: string;
      action: string;
      details: object;
    }>;
    expect(audit.filter((a) => a.action === 'unlock.failed').map((a) => a.user)).toEqual([
      'mallory',
      ...Array(7).fill('asha'),
    ]);
    expect(audit.find((a) => a.action === 'unlock.failed')!.details).toEqual({ command: 'logs' });
  });
});
