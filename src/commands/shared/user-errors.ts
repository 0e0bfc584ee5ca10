import { AuthError, NetworkError, StoreError, UsageError, UserError, type FailureReason } from '../../errors.js';
import { KeyringAuthError, KeyringError } from '../../domain/keyring.js';
import { ConfigValueError } from '../../vapi/config-value-error.js';
import { SealError } from '../../crypto/seal.js';
import { UnwrapError } from '../../crypto/password-kdf.js';
import { StoreDamagedError, StoreUnavailableError } from '../../store/types.js';
import { firstFew } from '../../io.js';
import { DoctorInputError } from '../../domain/doctors.js';
import { DeskInputError, DeskRefusal } from '../../domain/desk-errors.js';
import { SealingKeysError } from '../../domain/sealing-keys.js';
import { NotSeededError } from '../../domain/clinic.js';

/**
 * The neutral errors of the domain, crypto and store layers as the errors a user sees, with the
 * next step. `main` applies it to every failure before `reportError`, so a translation a command
 * forgot can never surface as exit 70. Loaded only when something failed.
 */
const TABLE: Array<[new (...args: never[]) => Error, (err: never) => UserError]> = [
  [
    KeyringAuthError,
    (e: KeyringAuthError) =>
      new AuthError(e.message, 'Check the username and password; `receptionist users list` shows the admins.'),
  ],
  [UnwrapError, () => new AuthError('Wrong username or password.', 'Check the username and password.')],
  [
    DoctorInputError,
    (e: DoctorInputError) =>
      new UsageError(
        e.message,
        e.candidates?.length ? `Doctors: ${e.candidates.map((d) => `${d._id} (${d.name})`).join(', ')}.` : undefined,
        { cause: e },
      ),
  ],
  [DeskInputError, (e: DeskInputError) => deskUsageError(e, (field) => `--${field}`)],
  [DeskRefusal, (e: DeskRefusal) => new UserError(e.message, e.hint, { cause: e })],
  [NotSeededError, (e: NotSeededError) => new UserError(e.message, e.hint, { cause: e })],
  [SealingKeysError, (e: SealingKeysError) => new UserError(e.message, SEALING_HINTS[e.kind], { cause: e })],
  [KeyringError, (e: KeyringError) => new UserError(e.message)],
  [
    SealError,
    (e: SealError) =>
      new StoreError(`A sealed record failed authentication: ${e.message}.`, 'Restore the store from a backup.', {
        cause: e,
      }),
  ],
  [
    ConfigValueError,
    (e: ConfigValueError) =>
      new UsageError(e.message, e.accepted?.length ? `Accepted: ${firstFew(e.accepted, 40)}` : undefined),
  ],
  [
    StoreDamagedError,
    (e: StoreDamagedError) =>
      new StoreError(
        e.message,
        `Stop serve, copy ${e.location} aside, then restore the last backup into a new folder: \`receptionist --data-dir <new folder> restore <backup.tar.gz>\` (and use that folder). Without a backup, SQLite's \`.recover\` often saves what reads: \`sqlite3 ${e.location} .recover | sqlite3 recovered.db\`, then check it with \`receptionist --data-dir <folder of recovered.db renamed receptionist.db> preflight\`.`,
        { cause: e },
      ),
  ],
  [
    StoreUnavailableError,
    (e: StoreUnavailableError) =>
      new StoreError(e.message, 'Check the disk (space, permissions) or that the database is up, then retry.', {
        cause: e,
      }),
  ],
];

/**
 * A desk field that could not be read, as a usage error naming the field as the caller does
 * (`label`: `--at` on the command line, `time` in the studio).
 */
export function deskUsageError(err: DeskInputError, label: (field: DeskInputError['field']) => string): UsageError {
  const name = label(err.field);
  if (err.field === 'specialty')
    return new UsageError(`No doctor of specialty "${err.value}".`, err.hint, { cause: err });
  if (err.invalid)
    return new UsageError(`Invalid ${name} "${err.value}"${err.detail ? `: ${err.detail}` : '.'}`, err.hint, {
      cause: err,
    });
  return new UsageError(
    `${name} "${err.value}"${err.detail?.startsWith('is ') ? ' ' : ': '}${err.detail}`,
    err.hint ? `e.g. ${name} "${err.hint}".` : undefined,
    { cause: err },
  );
}

/** What to do when nothing can be sealed or no caller recognised (src/domain/sealing-keys.ts). */
const SEALING_HINTS: Record<SealingKeysError['kind'], string> = {
  'no-keys': 'Create the first admin: `receptionist users add <username> --role admin`.',
  'no-pin':
    'An admin runs `receptionist keys pin --username <admin>` once (it checks the key against their keyring and writes the pin to .env).',
  'not-pinned':
    'If an admin rotated the key, run `receptionist keys pin --username <admin>` (or copy the pin from their .env); otherwise restore the store from a backup and find out who changed the keys.',
  'no-blind-key':
    'Restore it from your backup of .env, or run `receptionist keys reindex` to create a new one and rebuild the index.',
  'bad-blind-key': 'Restore it from your backup of .env, or remove it to have a new one created.',
  'stale-blind-key':
    'Use the .env the last `receptionist keys reindex` wrote, or run `receptionist keys reindex` again.',
  'old-indexes':
    'Run `receptionist keys reindex --username <admin>` once: it rebuilds them memory-hard with the same key.',
};

/** Node's file-system errors (a path the user gave or the data dir) by their `code`. */
const SYSTEM: Record<string, (e: NodeJS.ErrnoException) => UserError> = {
  ENOSPC: (e) => new StoreError(`The disk is full: ${e.message}.`, 'Free some space and retry.', { cause: e }),
  EACCES: (e) =>
    new StoreError(`Permission denied: ${e.path ?? e.message}.`, 'Check the owner and mode of that path.', {
      cause: e,
    }),
  EROFS: (e) => new StoreError(`The file system is read-only: ${e.message}.`, undefined, { cause: e }),
  ECONNREFUSED: (e) => new NetworkError(`Connection refused: ${e.message}.`, undefined, { cause: e }),
};

/** The next step, with the flag, for each reason an adapter gives (adapters never name flags). */
const HINTS: Record<FailureReason, string> = {
  'data-dir-unwritable': 'Check that the folder is writable, or pass --data-dir (or set RECEPTIONIST_DATA_DIR).',
  'store-locked': 'Stop that process first, or pass --data-dir to use another store.',
  'store-unreachable': 'Check that MongoDB is running and reachable from here, and MONGODB_URI (or --mongodb-uri).',
  'spool-full': 'Stop some serve processes, or give each one its own --data-dir.',
  'foreign-call-log': 'Move the file away, or point --data-dir at another store.',
  'no-server-url':
    'Pass --server-url with the public URL of `receptionist serve` (e.g. from `serve --tunnel`), or set RECEPTIONIST_PUBLIC_URL.',
  'no-vapi-key':
    'Pass --vapi-key, or set VAPI_API_KEY (environment or .env) to your private key from the Vapi dashboard.',
  'ngrok-domain': 'Use a domain reserved on your ngrok account (dashboard → Domains) in --ngrok-domain, or drop it.',
  'ngrok-unreachable':
    'Check the network connection (ngrok needs outbound TLS to connect.ngrok-agent.com:443), or pass --public-url with a tunnel you already run.',
  'not-synced': 'Run `receptionist sync --server-url <public URL>` once first, or drop --update-assistant.',
  'assistant-held': 'Stop it first, or run this one without --update-assistant.',
};

/** The user-facing form of `err` (unchanged when it is one already, or when nothing matches: a bug, exit 70). */
export function toUserError(err: unknown): unknown {
  if (err instanceof UserError) {
    if (err.reason && !err.hint) err.hint = HINTS[err.reason];
    return err;
  }
  for (const [type, translate] of TABLE) if (err instanceof type) return translate(err as never);
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code && code in SYSTEM) return SYSTEM[code]!(err as NodeJS.ErrnoException);
  return err;
}
