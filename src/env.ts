/**
 * Every environment variable receptionist reads, listed once. `--help` prints this table.
 * Values can also come from a `.env` file (flag > environment > .env file > default).
 */
export const ENV_VARS = {
  RECEPTIONIST_DATA_DIR: 'Directory of the embedded store (default ./.receptionist)',
  MONGODB_URI:
    'Use MongoDB instead of the embedded store (same as --mongodb-uri), e.g. mongodb+srv://user:pass@cluster/db',
  MONGODB_DB: 'MongoDB database name (default: the one in MONGODB_URI, else receptionist)',
  RECEPTIONIST_LOG_TO:
    'Where call logs go: "mongo" (collection call_logs) or "csv" (also appended to <data-dir>/calls.csv, derived from the store); default: the store in use (same as --log-to)',
  VAPI_SERVER_SECRET:
    'Webhook secret (≥ 128 bits, e.g. `openssl rand -hex 32`): the secretKey of the HMAC credential `sync` creates, which `serve` verifies',
  VAPI_SERVER_SECRET_PREVIOUS:
    'The secret before a rotation, still accepted by `serve` until every credential carries the new one',
  RECEPTIONIST_ADMISSION_DEADLINE_MS:
    'How late `serve` may answer a tool call or assistant request before it refuses it with 503 at once, ms (default 8000; Vapi waits 20 s)',
  RECEPTIONIST_AUTH_PLAN:
    'The authenticationPlan (JSON, without its secret) of a webhook credential not made by `sync`, for `serve` (same as --auth-plan)',
  SMTP_URL:
    'SMTP server `serve` emails patients through (smtp://user:pass@host:587, smtps://user:pass@host:465); unset: no emails',
  SMTP_FROM: 'Sender of those emails, e.g. "Sunrise Clinic <desk@sunrise-clinic.in>" (needed with SMTP_URL)',
  TWILIO_ACCOUNT_SID: 'Twilio account (AC…): with TWILIO_AUTH_TOKEN, `serve` texts patients through the Messages API',
  TWILIO_AUTH_TOKEN: 'Twilio auth token (needed with TWILIO_ACCOUNT_SID)',
  TWILIO_FROM: 'The Twilio number (E.164) SMS are sent from (or TWILIO_MESSAGING_SERVICE_SID)',
  TWILIO_MESSAGING_SERVICE_SID: 'A Twilio Messaging Service (MG…) to send from instead of TWILIO_FROM',
  TWILIO_BASE_URL: 'Another origin for the Twilio API than https://api.twilio.com (a proxy)',
  RECEPTIONIST_BLIND_INDEX_KEY:
    'Key of the phone-number blind index (created by the first `users add` into .env; back it up)',
  RECEPTIONIST_SEALING_KEY_PIN:
    'Fingerprint of the key `serve` seals to (written by the first `users add`, `keys rotate` and `keys pin` into .env); serve refuses any other',
  RECEPTIONIST_PASSWORD: 'Password of the acting admin, for scripts (never pass a password in argv)',
  RECEPTIONIST_NEW_PASSWORD: 'The new password for `users add` / `users passwd`, for scripts',
  RECEPTIONIST_USERNAME: 'Username of the acting admin, for scripts (same as --username)',
  VAPI_API_KEY:
    'Vapi private API key for sync, call, chat, metrics --remote and serve --update-assistant (same as --vapi-key)',
  NGROK_AUTHTOKEN: 'ngrok authtoken for serve --tunnel (dashboard.ngrok.com → Your Authtoken)',
  NGROK_DOMAIN: 'A domain reserved on your ngrok account, for serve --tunnel (same as --ngrok-domain)',
  VAPI_BASE_URL: 'Vapi API base URL (default https://api.vapi.ai; https://api.eu.vapi.ai for EU organisations)',
  VAPI_TIMEOUT_SECONDS: 'Timeout of one Vapi API request in seconds (default 30)',
  VAPI_CONNECT_TIMEOUT_MS:
    'How long connecting to Vapi may take before it counts as unreachable (exit 6), ms (default 3000)',
  RECEPTIONIST_PUBLIC_URL: 'Public URL of `serve` that `sync` points the assistant and tools at (same as --server-url)',
  RECEPTIONIST_ASSISTANT_ID: 'Assistant for `call` and `chat` (default: the one `sync` created)',
  RECEPTIONIST_PHONE_NUMBER_ID: 'Vapi phone number that places outbound calls (default: the only one, if there is one)',
  RECEPTIONIST_POLL_INTERVAL_MS:
    'How often `call --wait` and `test` ask Vapi how a call or a test run is going, ms (default 2000)',
  RECEPTIONIST_PORT: 'Port of `serve` (default 3000; 0 picks a free one)',
  RECEPTIONIST_STUDIO_PORT: 'Port of `studio` on 127.0.0.1 (default 4488, or the next free one; 0 picks any free one)',
  RECEPTIONIST_HOST: 'Interface `serve` binds to (default 127.0.0.1)',
  RECEPTIONIST_URL: 'Webhook URL `trigger` sends to (default http://127.0.0.1:3000/webhook)',
  RECEPTIONIST_DEFAULT_REGION:
    'Region for phone numbers without a country code, ISO 3166 (default from the clinic config, IN)',
  VISUAL: 'Editor for `config edit --editor` (before $EDITOR)',
  EDITOR: 'Editor for `config edit --editor` when $VISUAL is not set (default vi)',
  DEBUG: 'Set to 1 to print stack traces (same as --debug)',
  NO_COLOR: 'Set to disable colors (same as --no-color)',
} as const;

export type EnvVarName = keyof typeof ENV_VARS;

/** Read access to the environment (process env merged over the `.env` file), with the source kept. */
export interface Env {
  get(name: EnvVarName): { value: string; source: string } | undefined;
}

/** Builds an `Env` from the process environment and the parsed `.env` file (may be empty). */
export function createEnv(
  processEnv: Record<string, string | undefined>,
  dotenv: Record<string, string>,
  dotenvPath: string,
): Env {
  return {
    get(name) {
      const fromProcess = processEnv[name];
      if (fromProcess !== undefined && fromProcess !== '') return { value: fromProcess, source: `$${name}` };
      const fromFile = dotenv[name];
      if (fromFile !== undefined && fromFile !== '') return { value: fromFile, source: `${name} in ${dotenvPath}` };
      return undefined;
    },
  };
}

/** The `--help` epilogue listing every variable. */
export function envHelp(): string {
  const width = Math.max(...Object.keys(ENV_VARS).map((k) => k.length));
  const lines = Object.entries(ENV_VARS).map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
  return `Environment variables (also read from ./.env; flags win over both):\n${lines.join('\n')}`;
}
