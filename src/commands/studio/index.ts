import { Option } from '@commander-js/extra-typings';
import { defineCommand, spec, type FlagsOf } from '../shared/command.js';

export const studioSpec = spec({
  options: [
    new Option(
      '-p, --port <port>',
      'port on 127.0.0.1; 0 picks a free one (default 4488, or the next free one; or $RECEPTIONIST_STUDIO_PORT)',
    ),
    new Option('--no-open', 'print the link only; do not open a browser'),
  ],
});
export type StudioFlags = FlagsOf<typeof studioSpec>;

export const studioCommand = defineCommand({
  name: 'studio',
  summary: "Open the clinic's dashboard in a browser: appointments, calls, the assistant, metrics, doctors",
  ...studioSpec,
  details: `Serves a web app on 127.0.0.1 only, over the same store and rules as the commands (it works while
\`serve\` runs, on either backend), and prints a link with a one-time token, as Jupyter does. The link
works once; press Enter in the terminal for a new one. Sign in there with a \`receptionist users\`
account: a receptionist sees names, times and doctors; an admin also opens a call's sealed fields,
after their password again. Every opening and change is audited as on the command line.
With --json: one line {"event":"ready","url":…} on stdout, then one line per sign-in.
Stop it with Ctrl-C.`,
  examples: ['receptionist studio', 'receptionist studio --port 0 --no-open --json'],
  load: () => import('./studio.js').then((m) => m.studio),
});
