/**
 * Admission control (PERF-7). Past its capacity `serve` would queue, and every
 * caller would wait longer than Vapi does (a tool call's `server.timeoutSeconds`, 20 s as `sync`
 * writes it): a reply after Vapi gave up is wasted work that delays the next caller. So a message that
 * could not be answered within the deadline is refused at once with 503 and `Retry-After` (the
 * `backoffPlan` `sync` writes retries it; a repeated tool call is answered from its stored reply).
 *
 * How late a message is: its age since Vapi signed it (the HMAC timestamp), else since it reached
 * `serve` (which already holds its wait behind what queued before it), plus a moving average of how
 * long one takes. Call-log events (`end-of-call-report`, `status-update`) are
 * never refused: they are written (or spooled) and acknowledged whatever the load.
 */

/** @default 8000: well under Vapi's 20 s tool timeout, leaving room for the network and a retry. */
export const DEFAULT_ADMISSION_DEADLINE_MS = 8_000;

/** How long after the last refusal `/health` still says `overloaded`, ms. */
const OVERLOADED_FOR_MS = 10_000;

export class Admission {
  /** Moving average of one message's handling time, ms. */
  private averageMs = 2;
  private lastShedAt = -Infinity;
  private shedTotal = 0;

  constructor(
    readonly deadlineMs: number = DEFAULT_ADMISSION_DEADLINE_MS,
    private readonly clock: () => number = () => Date.now(),
  ) {}

  /**
   * Whether a message that has waited `ageMs` so far can still be answered within `deadlineMs`
   * (default the configured one; an assistant request has Vapi's fixed 7.5 s, so at most 7 s). Refusing is
   * counted (for `/health` and the events). Returns the expected time to answer when refused.
   */
  admit(ageMs: number, deadlineMs = this.deadlineMs): { ok: true } | { ok: false; expectedMs: number } {
    // Its age already holds the wait behind what is queued on this process (the event loop is one
    // line); what runs alongside (a MongoDB round trip) does not add to it.
    const expectedMs = Math.max(0, ageMs) + this.averageMs;
    // A quarter of the deadline is kept for what admitted messages wait on after this (the event
    // loop's other work, writing the reply): admitted late, a message would still be answered late.
    if (expectedMs <= deadlineMs * 0.75) return { ok: true };
    this.refused();
    return { ok: false, expectedMs: Math.round(expectedMs) };
  }

  /** Marks a message as being handled; call the returned function when it is answered. */
  begin(): () => void {
    const started = performance.now();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.averageMs = this.averageMs * 0.9 + (performance.now() - started) * 0.1;
    };
  }

  /**
   * Whether an answer that is ready `ageMs` after Vapi sent it is too late to send: it is replaced by a
   * 503 (the work is kept: a repeated tool call gets the stored reply at once). Counted as shed.
   */
  tooLate(ageMs: number, deadlineMs = this.deadlineMs): boolean {
    if (ageMs <= deadlineMs) return false;
    this.refused();
    return true;
  }

  /** Counts one refusal, for `shed` and `overloaded`. */
  private refused(): void {
    this.lastShedAt = this.clock();
    this.shedTotal++;
  }

  /** Refused something in the last 10 s. */
  get overloaded(): boolean {
    return this.clock() - this.lastShedAt < OVERLOADED_FOR_MS;
  }

  get shed(): number {
    return this.shedTotal;
  }
}
