import type { Tunnel, TunnelFactory, TunnelOptions } from './index.js';

/** Tunnel state changes `serve` reports (stderr lines, or JSON with --json). */
export type TunnelEvent =
  | { kind: 'tunnel'; state: 'open'; url: string }
  | { kind: 'tunnel'; state: 'disconnected'; url: string }
  | { kind: 'tunnel'; state: 'reconnecting'; attempt: number; inMs: number; error?: string }
  | { kind: 'tunnel'; state: 'reconnected'; url: string; changed: boolean }
  | { kind: 'tunnel'; state: 'closed' };

export interface SupervisorOptions extends Omit<TunnelOptions, 'onStatus'> {
  /** How long the tunnel library may reconnect on its own before the tunnel is reopened, ms. @default 5000 */
  graceMs?: number;
  /** First reopen delay, doubling per failed attempt up to `maxBackoffMs`. @default 1000 */
  firstBackoffMs?: number;
  /** @default 30000 */
  maxBackoffMs?: number;
}

/**
 * Keeps a tunnel open: a drop is reported; if the tunnel library does not reconnect within
 * `graceMs`, the tunnel is closed and opened again with exponential backoff until it works
 * or `close()` is called. The local server is never touched. `onUrl` runs when a reopened
 * tunnel has a new URL (no reserved domain), e.g. to repoint the assistant.
 */
export class TunnelSupervisor {
  private tunnel: Tunnel | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private down = false;
  private attempt = 0;
  private started = false;

  constructor(
    private readonly factory: TunnelFactory,
    private readonly opts: SupervisorOptions,
    private readonly onEvent: (e: TunnelEvent) => void,
    private readonly onUrl: (url: string) => Promise<void> = async () => {},
  ) {}

  /** The public base URL. */
  get url(): string | undefined {
    return this.tunnel?.url;
  }

  /** Opens the first tunnel. @throws what the factory throws (nothing is left open) */
  async start(): Promise<string> {
    this.tunnel = await this.open();
    this.started = true;
    this.onEvent({ kind: 'tunnel', state: 'open', url: this.tunnel.url });
    return this.tunnel.url;
  }

  private open(): Promise<Tunnel> {
    const { graceMs: _g, firstBackoffMs: _f, maxBackoffMs: _m, ...tunnelOpts } = this.opts;
    return this.factory.open({ ...tunnelOpts, onStatus: (s) => this.onStatus(s) });
  }

  /**
   * serve is stopping: the tunnel stays up for what is left of the cleanup (restoring the
   * assistant's URL), but a drop is no longer reported or reopened: a session that ends with the
   * process (ngrok sees the same Ctrl-C) is not a dropped tunnel, and nothing says "Reconnecting…".
   */
  stopping(): void {
    this.quiet = true;
    clearTimeout(this.timer);
  }

  private quiet = false;

  private onStatus(status: 'closed' | 'connected'): void {
    if (this.closed || this.quiet) return;
    if (status === 'closed' && !this.down) {
      this.down = true;
      this.onEvent({ kind: 'tunnel', state: 'disconnected', url: this.tunnel?.url ?? '' });
      this.schedule(this.opts.graceMs ?? 5000);
    } else if (status === 'connected' && this.down && this.tunnel) {
      this.down = false;
      this.attempt = 0;
      clearTimeout(this.timer);
      this.onEvent({ kind: 'tunnel', state: 'reconnected', url: this.tunnel.url, changed: false });
    }
  }

  private schedule(ms: number, error?: string): void {
    clearTimeout(this.timer);
    if (this.attempt > 0)
      this.onEvent({
        kind: 'tunnel',
        state: 'reconnecting',
        attempt: this.attempt,
        inMs: ms,
        ...(error ? { error } : {}),
      });
    this.timer = setTimeout(() => void this.reopen(), ms);
    this.timer.unref();
  }

  private async reopen(): Promise<void> {
    if (this.closed || this.quiet || !this.down) return;
    this.attempt++;
    const old = this.tunnel;
    this.tunnel = undefined;
    await old?.close().catch(() => undefined);
    try {
      const next = await this.open();
      if (this.closed || this.quiet) return void (await next.close().catch(() => undefined));
      this.tunnel = next;
      this.down = false;
      this.attempt = 0;
      const changed = next.url !== old?.url;
      this.onEvent({ kind: 'tunnel', state: 'reconnected', url: next.url, changed });
      if (changed) await this.onUrl(next.url);
    } catch (err) {
      const first = this.opts.firstBackoffMs ?? 1000;
      this.schedule(
        Math.min(first * 2 ** (this.attempt - 1), this.opts.maxBackoffMs ?? 30_000),
        (err as Error).message,
      );
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    await this.tunnel?.close().catch(() => undefined);
    this.tunnel = undefined;
    if (this.started) this.onEvent({ kind: 'tunnel', state: 'closed' });
  }
}
