// Option builders several commands share, so a flag reads the same everywhere. Commander only.
import { Option } from '@commander-js/extra-typings';

/** `--vapi-key`; `forWhat` ends the help line, e.g. ", for --remote". */
export const vapiKeyOption = (forWhat = '') =>
  new Option('--vapi-key <key>', `Vapi private API key (or $VAPI_API_KEY)${forWhat}`);

/**
 * `--username` and `--password-stdin` of the acting admin. The kernel hands them to
 * `ctx.keyring()` and `ctx.credentials()`; no command reads them itself.
 */
export const adminOptions = (opts: { who?: string; stdin?: string } = {}) =>
  [
    new Option(
      '--username <name>',
      `${opts.who ?? 'the acting admin'} (or $RECEPTIONIST_USERNAME; prompted on a terminal)`,
    ),
    new Option('--password-stdin', opts.stdin ?? 'read the password from stdin (or set $RECEPTIONIST_PASSWORD)'),
  ] as const;

/** `--since <when>`: an ISO date/time in the clinic's zone, or a duration. */
export const sinceOption = (what: string) =>
  new Option(
    '--since <when>',
    `only ${what} after this: an ISO date/time (read in the clinic's zone), or a duration like 30m, 24h, 7d`,
  );

/** {@link sinceOption} with a default, so the flag is never undefined. */
export const sinceOptionWithDefault = (what: string, defaultValue: string) => sinceOption(what).default(defaultValue);

/** `--limit <n>` */
export const limitOption = (what: string) => new Option('--limit <n>', `at most this many ${what}`);

/** `--assistant <id>` */
export const assistantOption = () =>
  new Option('--assistant <id>', 'assistant id (or $RECEPTIONIST_ASSISTANT_ID; default: the synced one)');
