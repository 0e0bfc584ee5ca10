import { Command, Option } from 'commander';
import type { Deps } from '../../deps.js';
import { CancelledError } from '../../errors.js';
import { globalsOf } from '../shared/globals.js';

export interface ServeFlags {
  port?: string;
  host?: string;
  insecureNoAuth?: boolean;
  bodyLimit?: string;
  defaultRegion?: string;
  tunnel?: boolean;
  ngrokDomain?: string;
  publicUrl?: string;
  updateAssistant?: boolean;
  vapiKey?: string;
  record?: boolean;
  authPlan?: string;
}

export const serveCommand = (deps: Deps) =>
  new Command('serve')
    .description('Run the webhook server that answers Vapi server messages and keeps call logs')
    .option('-p, --port <port>', 'port to listen on; 0 picks a free one (default 3000, or $RECEPTIONIST_PORT)')
    .option('--host <host>', 'interface to bind (default 127.0.0.1, or $RECEPTIONIST_HOST)')
    .option('--body-limit <bytes>', 'largest accepted request body in bytes (default 5 MiB)')
    .option(
      '--default-region <code>',
      'region (ISO 3166, e.g. IN) for phone numbers said without a country code (default: the clinic config)',
    )
    .addOption(new Option('--insecure-no-auth', 'accept unauthenticated requests (binds to loopback only)'))
    .option(
      '--auth-plan <json>',
      "the credential's authenticationPlan (HMAC or bearer, no secret) when it was not made by sync (or $RECEPTIONIST_AUTH_PLAN)",
    )
    .option(
      '--tunnel',
      'expose the server through an ngrok tunnel (needs NGROK_AUTHTOKEN) and print its public webhook URL',
    )
    .option(
      '--ngrok-domain <domain>',
      'a domain reserved on your ngrok account, for a URL that stays the same (or $NGROK_DOMAIN)',
    )
    .option('--public-url <url>', 'the public URL of a tunnel or proxy you already run (instead of --tunnel)')
    .option(
      '--update-assistant',
      "point the synced assistant's and tools' server URL at the public URL while serving; restored on exit",
    )
    .option('--vapi-key <key>', 'Vapi private API key for --update-assistant (or $VAPI_API_KEY)')
    .option('--record', 'keep every incoming message (sealed) so that `trigger --replay <call-id>` can send it again')
    .addHelpText(
      'after',
      `
The webhook secret comes from VAPI_SERVER_SECRET (and VAPI_SERVER_SECRET_PREVIOUS while rotating).
serve verifies exactly the plan of the webhook credential that \`sync\` created (HMAC-SHA256 over
{timestamp}.{body} in x-signature + x-timestamp). Before the first sync it also accepts the secret as
Authorization: Bearer or X-Vapi-Secret. For a credential made elsewhere, pass its plan with --auth-plan.
Each request prints one line on stderr; with --json, one JSON object per event on stdout.

With --tunnel (or --public-url) and --update-assistant, the assistant and its tools send their
server messages to the public URL while serve runs; their previous server URL is put back on
Ctrl-C, SIGTERM or a fatal error (and by the next serve or sync if the process was killed).
A dropped tunnel is reported and reopened with backoff; the local server keeps serving.

Examples:
  VAPI_SERVER_SECRET=s3cret receptionist serve
  NGROK_AUTHTOKEN=… receptionist serve --tunnel --update-assistant
  receptionist serve --port 0 --json
  receptionist serve --auth-plan '{"type":"hmac","algorithm":"sha512","signatureEncoding":"base64"}'
  receptionist serve --insecure-no-auth`,
    )
    .action(async (flags: ServeFlags, cmd: Command) => {
      const { runServe, parseServeOptions } = await import('./serve.js');
      const { renderServeEvent } = await import('./render.js');
      const g = globalsOf(cmd, deps);
      const controller = new AbortController();
      let fatal: unknown;
      // The first SIGINT/SIGTERM stops cleanly (within a deadline); a second one stops at once.
      const force = new AbortController();
      let forced = false;
      const off = deps.onShutdown((reason, error) => {
        if (reason === 'fatal') fatal = error ?? new Error('fatal error');
        if (controller.signal.aborted && reason !== 'fatal') {
          forced = true;
          force.abort();
        }
        controller.abort();
      });
      try {
        await runServe(parseServeOptions(flags, deps), g, deps, {
          signal: controller.signal,
          force: force.signal,
          onEvent: (e) => renderServeEvent(e, g, deps.io, deps.now),
        });
      } finally {
        off();
      }
      // Cleaned up (the assistant's URL restored); now the fatal error ends the command (exit 70).
      if (fatal) throw fatal;
      if (forced) throw new CancelledError();
    });
