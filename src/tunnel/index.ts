import { AuthError, NetworkError, UsageError } from '../errors.js';

/** An open tunnel: `url` is its public base URL (https://…). */
export interface Tunnel {
  readonly url: string;
  close(): Promise<void>;
}

export interface TunnelOptions {
  /** Local address and port to forward to. */
  host: string;
  port: number;
  authtoken: string;
  /** A reserved domain (`--ngrok-domain`), else ngrok assigns one. */
  domain?: string;
  /** `closed` when the connection to the tunnel service drops, `connected` when it is back. */
  onStatus: (status: 'closed' | 'connected') => void;
}

/** Opens tunnels. The real one is ngrok; tests pass a fake through `Deps.tunnel`. */
export interface TunnelFactory {
  /** @throws AuthError (token missing or rejected), UsageError (domain not yours), NetworkError (unreachable) */
  open(opts: TunnelOptions): Promise<Tunnel>;
}

/**
 * An ngrok error → our error naming the setting (README "Exit codes"). ngrok's codes:
 * ERR_NGROK_105/107/4018 authtoken malformed/invalid/missing; 313/319/320/326 domain not
 * reserved by this account or plan.
 */
export function ngrokError(err: unknown, opts: { domain?: string }): Error {
  const e = err as { message?: string; errorCode?: string; code?: string };
  const text = `${e.errorCode ?? e.code ?? ''} ${e.message ?? String(err)}`;
  const code = /ERR_NGROK_(\d+)/.exec(text)?.[1];
  if ((code && ['105', '106', '107', '4018', '108'].includes(code)) || /authtoken|authentication failed/i.test(text)) {
    return new AuthError(
      `ngrok rejected the authtoken (NGROK_AUTHTOKEN): ${firstLine(e.message)}`,
      'Copy your authtoken from https://dashboard.ngrok.com/get-started/your-authtoken into NGROK_AUTHTOKEN.',
      { cause: err },
    );
  }
  if (opts.domain && ((code && ['313', '319', '320', '326', '3200'].includes(code)) || /domain|hostname/i.test(text))) {
    return new UsageError(`ngrok refused the domain ${opts.domain}: ${firstLine(e.message)}`, undefined, {
      cause: err,
      reason: 'ngrok-domain',
    });
  }
  return new NetworkError(`Cannot open the ngrok tunnel: ${firstLine(e.message)}.`, undefined, {
    cause: err,
    reason: 'ngrok-unreachable',
  });
}

function firstLine(s: string | undefined): string {
  return (s ?? 'unknown error').split('\n')[0]!.replace(/\.$/, '');
}

/** ngrok through `@ngrok/ngrok` (loaded on first use). */
export const ngrokTunnels: TunnelFactory = {
  async open(opts) {
    const ngrok = await import('@ngrok/ngrok');
    try {
      const listener = await ngrok.forward({
        addr: `${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${opts.port}`,
        authtoken: opts.authtoken,
        ...(opts.domain ? { domain: opts.domain } : {}),
        session_metadata: 'receptionist serve',
        onStatusChange: (s: string) => opts.onStatus(s === 'connected' ? 'connected' : 'closed'),
      });
      const url = listener.url();
      if (!url) throw new Error('ngrok returned no URL');
      return { url, close: () => listener.close() };
    } catch (err) {
      throw ngrokError(err, opts);
    }
  },
};
