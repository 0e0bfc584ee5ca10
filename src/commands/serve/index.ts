import { Option } from '@commander-js/extra-typings';
import { defineCommand, spec, type FlagsOf } from '../shared/command.js';
import { vapiKeyOption } from '../shared/flags.js';

export const serveSpec = spec({
  options: [
    new Option('-p, --port <port>', 'port to listen on; 0 picks a free one (default 3000, or $RECEPTIONIST_PORT)'),
    new Option('--host <host>', 'interface to bind (default 127.0.0.1, or $RECEPTIONIST_HOST)'),
    new Option('--body-limit <bytes>', 'largest accepted request body in bytes (default 5 MiB)'),
    new Option(
      '--admission-deadline <ms>',
      'a tool call that could not be answered within this gets 503 + Retry-After at once (default 8000; or $RECEPTIONIST_ADMISSION_DEADLINE_MS)',
    ),
    new Option(
      '--default-region <code>',
      'region (ISO 3166, e.g. IN) for phone numbers said without a country code (default: the clinic config)',
    ),
    new Option('--insecure-no-auth', 'accept unauthenticated requests (binds to loopback only)'),
    new Option(
      '--auth-plan <json>',
      "the credential's authenticationPlan (HMAC or bearer, no secret) when it was not made by sync (or $RECEPTIONIST_AUTH_PLAN)",
    ),
    new Option(
      '--tunnel',
      'expose the server through an ngrok tunnel (needs NGROK_AUTHTOKEN) and print its public webhook URL',
    ),
    new Option(
      '--ngrok-domain <domain>',
      'a domain reserved on your ngrok account, for a URL that stays the same (or $NGROK_DOMAIN)',
    ),
    new Option('--public-url <url>', 'the public URL of a tunnel or proxy you already run (instead of --tunnel)'),
    new Option(
      '--update-assistant',
      "point the synced assistant's and tools' server URL at the public URL while serving; restored on exit",
    ),
    vapiKeyOption(', for --update-assistant and reminder calls'),
    new Option(
      '--record',
      'keep every incoming message (sealed) so that `trigger --replay <call-id>` can send it again',
    ),
  ],
});
export type ServeFlags = FlagsOf<typeof serveSpec>;

export const serveCommand = defineCommand({
  name: 'serve',
  summary: 'Run the webhook server that answers Vapi server messages and keeps call logs',
  ...serveSpec,
  details: `The webhook secret comes from VAPI_SERVER_SECRET (and VAPI_SERVER_SECRET_PREVIOUS while rotating).
serve verifies exactly the plan of the webhook credential that \`sync\` created (HMAC-SHA256 over
{timestamp}.{body} in x-signature + x-timestamp). Before the first sync it also accepts the secret as
Authorization: Bearer or X-Vapi-Secret. For a credential made elsewhere, pass its plan with --auth-plan.
Each request prints one line on stderr; with --json, one JSON object per event on stdout (NDJSON).

With --tunnel (or --public-url) and --update-assistant, the assistant and its tools send their
server messages to the public URL while serve runs; their previous server URL is put back on
Ctrl-C, SIGTERM or a fatal error (and by the next serve or sync if the process was killed).
A dropped tunnel is reported and reopened with backoff; the local server keeps serving.
A second Ctrl-C stops at once (exit 130); a clean stop takes at most 15 s.

Notifications in the outbox go to the outgoing webhooks (\`notify webhooks add\`), by email with
SMTP_URL and SMTP_FROM, and by SMS with TWILIO_*. Reminders go clinic.reminderHours (24) before each
appointment by clinic.reminderChannels (call, email, sms); a reminder call is an outbound Vapi call
with the synced assistant from the number \`sync --phone-number\` set (or RECEPTIONIST_PHONE_NUMBER_ID),
and needs VAPI_API_KEY. The start-up lines say which channels are on and why the others are off.`,
  examples: [
    'VAPI_SERVER_SECRET=s3cret receptionist serve',
    'NGROK_AUTHTOKEN=… receptionist serve --tunnel --update-assistant',
    'receptionist serve --port 0 --json',
    'receptionist serve --auth-plan \'{"type":"hmac","algorithm":"sha512","signatureEncoding":"base64"}\'',
    'receptionist serve --insecure-no-auth',
  ],
  load: () => import('./serve.js').then((m) => m.serve),
});
