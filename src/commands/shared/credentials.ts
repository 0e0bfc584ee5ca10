import fs from 'node:fs';
import path from 'node:path';
import type { Deps } from '../../deps.js';
import { NeedsInputError, UsageError } from '../../errors.js';
import { newBlindIndexKey } from '../../crypto/blind-index.js';
import { blindIndexKeyFromEnv, SEALING_KEY_PIN_VAR } from '../../domain/sealing-keys.js';
import type { Store } from '../../store/types.js';
import { activeSealingKeys } from '../../domain/keyring.js';
import { pinOfKeys } from '../../domain/sealer.js';
import { PRIVATE_FILE_MODE, tightenMode } from '../../store/private-dir.js';

/** Passwords are at least this long. */
export const MIN_PASSWORD_LENGTH = 12;

/**
 * Where passwords come from, in order: `--password-stdin` lines (never argv), then
 * `RECEPTIONIST_PASSWORD` / `RECEPTIONIST_NEW_PASSWORD`, then a hidden prompt on a TTY.
 * Without any of them in a non-interactive session: NeedsInputError (exit 4).
 */
export class Credentials {
  private lines: string[] | undefined;

  constructor(
    private readonly deps: Deps,
    private readonly fromStdin: boolean,
  ) {}

  private async stdinLine(): Promise<string | undefined> {
    if (!this.fromStdin) return undefined;
    if (!this.lines) {
      const chunks: Buffer[] = [];
      for await (const c of this.deps.io.stdin) chunks.push(Buffer.from(c as Buffer));
      this.lines = Buffer.concat(chunks).toString('utf8').split(/\r?\n/);
    }
    const line = this.lines.shift();
    return line === undefined || line === '' ? undefined : line;
  }

  /** The acting admin's username: flag, then RECEPTIONIST_USERNAME, then a prompt. */
  async username(flag: string | undefined): Promise<string> {
    const v = flag ?? this.deps.env.get('RECEPTIONIST_USERNAME')?.value;
    if (v) return v;
    if (!this.deps.io.canPrompt) throw new NeedsInputError('--username (or set RECEPTIONIST_USERNAME)');
    return (await this.deps.prompter.input('Username')).trim();
  }

  /** The acting admin's password. */
  async password(): Promise<string> {
    const v = (await this.stdinLine()) ?? this.deps.env.get('RECEPTIONIST_PASSWORD')?.value;
    if (v) return v;
    if (!this.deps.io.canPrompt) throw new NeedsInputError('--password-stdin (or set RECEPTIONIST_PASSWORD)');
    return this.deps.prompter.password('Password');
  }

  /** A new password, asked twice on a TTY. @throws UsageError when too short or the two differ */
  async newPassword(label: string): Promise<string> {
    let v = (await this.stdinLine()) ?? this.deps.env.get('RECEPTIONIST_NEW_PASSWORD')?.value;
    if (!v) {
      if (!this.deps.io.canPrompt) throw new NeedsInputError('--password-stdin (or set RECEPTIONIST_NEW_PASSWORD)');
      v = await this.deps.prompter.password(label);
      const again = await this.deps.prompter.password(`${label} (again)`);
      if (again !== v) throw new UsageError('The two passwords differ.', 'Run the command again.');
    }
    if (v.length < MIN_PASSWORD_LENGTH)
      throw new UsageError(
        `The password is shorter than ${MIN_PASSWORD_LENGTH} characters.`,
        'Use a passphrase of a few words.',
      );
    return v;
  }
}

/**
 * Makes sure a blind-index key exists: in the environment or `.env` already, or newly written
 * to `<project>/.env` (mode 600), beside the default store. Returns whether one was created.
 */
export function ensureBlindIndexKey(deps: Deps): { key: string; file?: string } {
  const existing = blindIndexKeyFromEnv(deps.env);
  if (existing) return { key: existing.toString('base64url') };
  const key = newBlindIndexKey();
  return { key, file: setDotenvValue(deps, 'RECEPTIONIST_BLIND_INDEX_KEY', key) };
}

/**
 * Sets `name=value` in `<project>/.env` (replacing its line, else appending one), mode 600; the
 * running process's environment is left as it is. Returns the file.
 */
export function setDotenvValue(deps: Pick<Deps, 'projectDir'>, name: string, value: string): string {
  const file = path.join(deps.projectDir, '.env');
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const line = `${name}=${value}`;
  const pattern = new RegExp(`^${name}=.*$`, 'm');
  const next = pattern.test(text)
    ? text.replace(pattern, line)
    : `${text}${text && !text.endsWith('\n') ? '\n' : ''}${line}\n`;
  fs.writeFileSync(file, next, { mode: PRIVATE_FILE_MODE });
  // An existing .env keeps its mode on write: it holds keys, so it is made private.
  tightenMode(file, PRIVATE_FILE_MODE, '.env file');
  return file;
}

/**
 * Pins the store's active keys in `<project>/.env` (`RECEPTIONIST_SEALING_KEY_PIN`), unless the
 * environment already carries that pin. Call it only for keys this command made or checked.
 * Returns the pin and the file written (undefined when nothing needed writing).
 */
export async function pinActiveKeys(
  deps: Pick<Deps, 'projectDir' | 'env'>,
  store: Store,
): Promise<{ pin: string; file?: string }> {
  const pin = pinOfKeys(await activeSealingKeys(store));
  if (deps.env.get(SEALING_KEY_PIN_VAR)?.value === pin) return { pin };
  return { pin, file: setDotenvValue(deps, SEALING_KEY_PIN_VAR, pin) };
}
