import { Command, Option } from 'commander';
import type { Deps } from '../../deps.js';
import { globalsOf } from '../shared/globals.js';

export interface ServeFlags {
  port?: string;
  host?: string;
  insecureNoAuth?: boolean;
  bodyLimit?: string;
  defaultRegion?: string;
}

export const serveCommand = (deps: Deps) =>
  new Command('serve')
    .description('Run the webhook server that answers Vapi server messages and keeps call logs')
    .option('-p, --port <port>', 'port to listen on; 0 picks a free one (default 3000, or $RECEPTIONIST_PORT)')
    .option('--host <host>', 'interface to bind (default 127.0.0.1, or $RECEPTIONIST_HOST)')
    .option('--body-limit <bytes>', 'largest accepted request body in bytes (default 5 MiB)')
    .option('--default-region <code>', 'region (ISO 3166, e.g. IN) for phone numbers said without a country code (default: the clinic config)')
    .addOption(new Option('--insecure-no-auth', 'accept unauthenticated requests (binds to loopback only)'))
    .addHelpText(
      'after',
      `
The webhook secret comes from VAPI_SERVER_SECRET (and VAPI_SERVER_SECRET_PREVIOUS while rotating).
Vapi may send it as X-Vapi-Secret, Authorization: Bearer, or as the key of an HMAC credential
(x-signature + x-timestamp). Each request prints one line on stderr; with --json, one JSON
object per event on stdout.

Examples:
  VAPI_SERVER_SECRET=s3cret receptionist serve
  receptionist serve --port 0 --json
  receptionist serve --insecure-no-auth`,
    )
    .action(async (flags: ServeFlags, cmd: Command) => {
      const { runServe, parseServeOptions } = await import('./serve.js');
      const { renderServeEvent } = await import('./render.js');
      const g = globalsOf(cmd, deps);
      const controller = new AbortController();
      const off = deps.onShutdown(() => controller.abort());
      try {
        await runServe(parseServeOptions(flags, deps), g, deps, { signal: controller.signal, onEvent: (e) => renderServeEvent(e, g, deps.io, deps.now) });
      } finally {
        off();
      }
    });
