/**
 * The only way commands print. Data goes to `out` (stdout), chatter to `err` (stderr).
 * `isOutTTY`/`isErrTTY` decide tables and colors; `canPrompt` is false in CI or with pipes.
 */
export interface IO {
  /** Write data to stdout (no newline added). */
  write(text: string): void;
  /** One line of data on stdout. */
  line(text: string): void;
  /**
   * Writes data to stdout, then waits while stdout's buffer is full (a slow pipe), so a long
   * output never piles up in memory. False when the reader has gone (`| head`): stop writing.
   */
  drain(text: string): Promise<boolean>;
  /** One line of status on stderr. */
  info(text: string): void;
  /** One line of error on stderr. */
  error(text: string): void;
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream;
  readonly isOutTTY: boolean;
  readonly isErrTTY: boolean;
  readonly canPrompt: boolean;
  /** Colors enabled (a TTY, and neither --no-color nor NO_COLOR). */
  color: boolean;
  /** Width of the terminal on stdout, for tables (100 when it is not a terminal). */
  readonly columns: number;
}

export function createProcessIO(): IO {
  const isOutTTY = Boolean(process.stdout.isTTY);
  const isErrTTY = Boolean(process.stderr.isTTY);
  // `receptionist logs | head`: the reader went away; stop writing instead of crashing.
  let isOutClosed = false;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    isOutClosed = true;
  });
  const out = (t: string) => {
    if (!isOutClosed) process.stdout.write(t);
  };
  return {
    write: (t) => out(t),
    async drain(t) {
      if (isOutClosed) return false;
      if (!process.stdout.write(t))
        await new Promise<void>((resolve) => {
          const done = () => {
            process.stdout.off('drain', done);
            process.stdout.off('close', done);
            resolve();
          };
          process.stdout.on('drain', done);
          process.stdout.on('close', done);
        });
      return !isOutClosed;
    },
    line: (t) => out(`${t}\n`),
    info: (t) => void process.stderr.write(`${t}\n`),
    error: (t) => void process.stderr.write(`${t}\n`),
    out: process.stdout,
    err: process.stderr,
    // Read on first use: opening stdin sets up a stream (and `net`) that most commands never need.
    get stdin() {
      return process.stdin;
    },
    isOutTTY,
    isErrTTY,
    canPrompt: process.getBuiltinModule('node:tty').isatty(0) && isOutTTY,
    color: isErrTTY && !process.env.NO_COLOR,
    columns: process.stdout.columns || 100,
  };
}

/** An IO that keeps what is written in memory: for a caller that shows it elsewhere (the studio's warnings), and tests. */
export interface MemoryIO extends IO {
  stdout(): string;
  stderr(): string;
}
/** {@link MemoryIO}, by the name the tests know it. */
export type TestIO = MemoryIO;

/** A {@link MemoryIO}; not a terminal unless `isTTY`. */
export function createMemoryIO(
  opts: { isTTY?: boolean; stdin?: NodeJS.ReadableStream; columns?: number } = {},
): MemoryIO {
  // Loaded here, not at the top: every command imports this module, few make a memory IO.
  const { Writable } = process.getBuiltinModule('node:stream');
  let out = '';
  let err = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, cb) {
        append(String(chunk));
        cb();
      },
    });
  const outStream = sink((s) => (out += s));
  const errStream = sink((s) => (err += s));
  const tty = opts.isTTY ?? false;
  return {
    write: (t) => void (out += t),
    drain: async (t) => {
      out += t;
      return true;
    },
    line: (t) => void (out += `${t}\n`),
    info: (t) => void (err += `${t}\n`),
    error: (t) => void (err += `${t}\n`),
    out: outStream,
    err: errStream,
    stdin: opts.stdin ?? process.stdin,
    isOutTTY: tty,
    isErrTTY: tty,
    canPrompt: tty,
    color: false,
    columns: opts.columns ?? 120,
    stdout: () => out,
    stderr: () => err,
  };
}

/** {@link createMemoryIO}, by the name the tests know it. */
export const createTestIO = createMemoryIO;

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** The first `max` items joined by `separator`, with `…` after them when there are more. */
export function firstFew(items: readonly string[], max: number, separator = ', '): string {
  return items.slice(0, max).join(separator) + (items.length > max ? `${separator}…` : '');
}

/**
 * Text from outside (ids, message types and values Vapi or anyone else sent) made safe to print
 * on a terminal: control characters (C0, DEL, C1, bidirectional overrides) are shown as escapes
 * (`\n`, `\x1b`, `\u202e`), so a value can neither forge a log line nor move the cursor or colour
 * the screen. Everything else is kept as it is.
 */
export function printable(text: string): string {
  return text.replace(CONTROL, (ch) => {
    const code = ch.charCodeAt(0);
    return (
      NAMED[ch] ??
      (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`)
    );
  });
}
