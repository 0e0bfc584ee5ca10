/**
 * Errors classified by who is at fault, and the exit-code contract (README "Exit codes").
 * Only `reportError` (called from `main`) turns an error into an exit code.
 */

/** Exit codes returned by `main()`. Documented in README.md; changing one is a breaking change. */
export const EXIT = {
  ok: 0,
  /** The command failed for a reason the user can fix (message + hint printed). */
  error: 1,
  /** Bad flags or arguments. */
  usage: 2,
  /** The store could not be opened, is locked by another process, or is corrupt. */
  store: 3,
  /** A prompt was needed but the session is non-interactive. */
  needsInput: 4,
  /** A credential was missing or rejected (webhook secret, password, API key). */
  auth: 5,
  /** A remote peer (a server, Vapi) could not be reached or failed. */
  network: 6,
  /** `sync --check`: Vapi differs from the config; nothing is wrong with the command itself. */
  pending: 7,
  /**
   * Refused because it would break the live phone line: `sync` with a webhook secret the credential on
   * Vapi does not hold (or a rotation that cannot go ahead), `call` from a number that cannot dial there.
   */
  refused: 8,
  /**
   * `receptionist test`: a run on Vapi could not be made (Vapi refused it, 402 billing, it timed out or
   * ended in an error, over `--max-cost`); nothing is known of the assistant.
   */
  untested: 9,
  /** A bug in receptionist itself. */
  internal: 70,
  /** Cancelled with Ctrl-C. */
  cancelled: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * Why a layer below the CLI (store, Vapi, tunnel) failed, when the fix is a flag: the adapter
 * names the reason, and the CLI's table (`commands/shared/user-errors.ts`) adds the hint with
 * the flag, so no adapter knows the command line.
 */
export type FailureReason =
  | 'data-dir-unwritable'
  | 'store-locked'
  | 'store-unreachable'
  | 'spool-full'
  | 'foreign-call-log'
  | 'no-server-url'
  | 'no-vapi-key'
  | 'ngrok-domain'
  | 'ngrok-unreachable'
  | 'not-synced'
  | 'assistant-held';

/** An expected failure: printed as `Error: <message>` plus an optional next step, no stack. */
export class UserError extends Error {
  readonly exitCode: ExitCode = EXIT.error;
  /** Set by an adapter instead of a hint; see {@link FailureReason}. */
  readonly reason?: FailureReason;
  constructor(
    message: string,
    public hint?: string,
    options?: ErrorOptions & { reason?: FailureReason },
  ) {
    super(message, options);
    this.name = new.target.name;
    this.reason = options?.reason;
  }
}

/** Bad flags or arguments (exit 2). */
export class UsageError extends UserError {
  override readonly exitCode = EXIT.usage;
}

/**
 * A change that goes through only when confirmed: `--force` on the command line, a second press
 * ("Save anyway") in the studio, which sends it again with `?force=1` (exit 2).
 */
export class ConfirmationNeededError extends UsageError {
  readonly confirm = true;
}

/** The store cannot be used: locked, unreadable, corrupt (exit 3). */
export class StoreError extends UserError {
  override readonly exitCode = EXIT.store;
}

/** A missing or rejected credential (exit 5). */
export class AuthError extends UserError {
  override readonly exitCode = EXIT.auth;
}

/** A remote peer could not be reached or answered with a failure (exit 6). */
export class NetworkError extends UserError {
  override readonly exitCode = EXIT.network;
}

/** A prompt was needed in a non-interactive session (exit 4). `flag` names the flag to pass instead. */
export class NeedsInputError extends UserError {
  override readonly exitCode = EXIT.needsInput;
  constructor(readonly flag: string) {
    super(`Input needed but the session is not interactive`, `Pass ${flag}`);
  }
}

/** Ctrl-C at a prompt or during a command: exits 130 quietly. */
export class CancelledError extends Error {
  constructor() {
    super('Cancelled');
    this.name = 'CancelledError';
  }
}

/** `sync --check` found changes to apply (exit 2, like `terraform plan -detailed-exitcode`). */
export class PendingChangesError extends UserError {
  override readonly exitCode = EXIT.pending;
}

/** Refused: going ahead would break the live line (exit 8, {@link EXIT.refused}); the hint says how to do it safely. */
export class RefusedError extends UserError {
  override readonly exitCode = EXIT.refused;
}

/** `receptionist test`: a run on Vapi could not be made, so nothing is known of the assistant (exit 9). */
export class UntestedError extends UserError {
  override readonly exitCode = EXIT.untested;
}

/** A command finished, but some of its items failed; the command already printed them. */
export class PartialFailureError extends UserError {}

interface ErrorSink {
  error(line: string): void;
}

/**
 * Maps any thrown value to an exit code and prints it on stderr.
 * User errors print their message and hint; anything else is a bug and prints one line
 * (the stack only with `debug`). With `json`, one JSON object instead:
 * `{"code": "auth", "exitCode": 5, "message": "…", "hint": "…"}` (`code` is the name in {@link EXIT}).
 */
export function reportError(err: unknown, io: ErrorSink, debug: boolean, json = false): ExitCode {
  if (err instanceof CancelledError || (err instanceof Error && err.name === 'ExitPromptError')) {
    return EXIT.cancelled;
  }
  if (json) {
    const exitCode = err instanceof UserError ? err.exitCode : EXIT.internal;
    const code = (Object.keys(EXIT) as Array<keyof typeof EXIT>).find((k) => EXIT[k] === exitCode) ?? 'error';
    const message =
      err instanceof UserError
        ? err.message
        : `unexpected failure: ${err instanceof Error ? err.message : String(err)}`;
    const hint =
      err instanceof UserError ? err.hint : 'Re-run with --debug (or DEBUG=1) for the stack trace, and report it.';
    if (!(err instanceof PartialFailureError && !err.message))
      io.error(JSON.stringify({ code, exitCode, message, ...(hint ? { hint } : {}) }));
    if (debug) io.error(String((err as Error)?.stack ?? ''));
    return exitCode;
  }
  if (err instanceof UserError) {
    if (!(err instanceof PartialFailureError) || err.message) io.error(`Error: ${err.message}`);
    if (err.hint) io.error(`  ${err.hint}`);
    if (debug && err.cause) io.error(String((err.cause as Error).stack ?? err.cause));
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  io.error(`Error: unexpected failure: ${message}`);
  if (debug) io.error(String((err as Error)?.stack ?? ''));
  else io.error('  Re-run with --debug (or DEBUG=1) for the stack trace, and report it.');
  return EXIT.internal;
}
