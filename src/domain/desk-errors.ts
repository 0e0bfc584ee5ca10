// The front desk's errors, apart from the desk itself so that the kernel's error table loads
// nothing heavy (src/domain/front-desk.ts throws them).

/** A desk request's field that could not be read; the command names its flag, the studio its field. */
export class DeskInputError extends Error {
  constructor(
    readonly field: 'at' | 'email' | 'phone' | 'specialty' | 'doctor',
    readonly value: string,
    /** What is wrong, after the value; none for a plain "invalid". */
    readonly detail?: string,
    /** An example of what would do, or the fix. */
    readonly hint?: string,
    /** False when the value is well formed but not enough (a day without a time, words that raise a question). */
    readonly invalid = true,
  ) {
    super(`${invalid ? 'Invalid ' : ''}${field} "${value}"${detail ? `: ${detail}` : '.'}`);
    this.name = 'DeskInputError';
  }
}

/**
 * The desk would not do it: a refused time (with the nearest free times as the hint), an
 * appointment that cannot be changed, a move to the time it already has, a doctor who left.
 * Exit 1 on the command line; the studio answers 422.
 */
export class DeskRefusal extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'DeskRefusal';
  }
}
