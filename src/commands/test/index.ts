import { Argument, Option } from '@commander-js/extra-typings';
import { defineCommand, spec, type FlagsOf } from '../shared/command.js';
import { adminOptions, assistantOption, vapiKeyOption } from '../shared/flags.js';

export const testSpec = spec({
  arguments: [new Argument('[files...]', 'test files (default: every *.yaml in --dir)')],
  options: [
    new Option('--dir <folder>', 'where the tests are (default: receptionist/tests in the project)'),
    new Option('--local', "no Vapi: the scripted tool calls go through serve's code path; tools and store are checked"),
    new Option('--candidate', 'test the stored config as a transient assistant, before `sync` publishes it'),
    assistantOption(),
    new Option('--store', "tools write the real store instead of a throwaway one (the test's calls are purged after)"),
    new Option('--filter <text>', 'only tests whose name or file name contains this (case-insensitive)'),
    new Option('--repeat <n>', 'run each test n times (judgements vary)').default('1'),
    new Option(
      '--min-pass-rate <rate>',
      'a repeated test passes when at least this share of its runs did (0–1)',
    ).default('1'),
    new Option(
      '--max-cost <usd>',
      'refuse to start when the estimate is above this, and stop when the spend reaches it',
    ),
    new Option('--transport <kind>', 'how simulated callers talk').choices(['chat', 'voice']).default('chat'),
    new Option('--public-url <url>', "where Vapi reaches this run's serve for a simulation's tool calls"),
    new Option('--tunnel', "open an ngrok tunnel to this run's serve for a simulation's tool calls"),
    new Option('--ngrok-domain <domain>', 'a reserved ngrok domain for --tunnel'),
    new Option('--port <n>', "the port this run's serve listens on for a simulation (0: any)").default('0'),
    new Option('--timeout <seconds>', 'how long one run on Vapi may take').default('600'),
    new Option('--junit <file>', 'also write the results as JUnit XML (for CI)'),
    vapiKeyOption(),
  ],
});
export type TestFlags = FlagsOf<typeof testSpec>;

export const fromCallSpec = spec({
  arguments: [new Argument('<call-id>', 'a call in the call log, or one `serve --record` kept')],
  options: [
    new Option('--out <file>', 'where to write the test (default: receptionist/tests/<call-id>.yaml; - for stdout)'),
    new Option('--force', 'overwrite the file'),
    adminOptions({ who: 'the admin opening the call' }),
  ],
});
export type FromCallFlags = FlagsOf<typeof fromCallSpec>;

export const testCommand = defineCommand({
  name: 'test',
  summary: "Test the assistant's conversations: tools, words and the store afterwards (locally, or on Vapi)",
  ...testSpec,
  details: `Tests are YAML files (schema: schemas/assistant-test.schema.json); \`seed\` writes the shipped ones to
receptionist/tests/. Scripted tests run as Vapi evals (a mock conversation, turns judged by exact, regex
or an AI rubric), tests with "simulate" as Vapi simulations (a simulated caller). Tool calls land in a
throwaway store (the clinic's setup and the sample callers, no patient's record), so the store
expectations are checked on real tool effects and nothing is left behind. --local needs no Vapi: the scripted tool calls and the store are checked, what only the
model can show is reported as skipped (never as passed).
Exit codes: 0 all passed; 1 a test failed; 2 a test file is wrong (the others still run);
9 a run could not be made on Vapi (refused, 402 billing, timeout, over --max-cost).
With --json: one object {passed, failed, errors, untested, cost, tests: [{file, name, passed, runs, checks}]}.`,
  examples: [
    'receptionist test --local',
    'receptionist test --candidate --junit results.xml',
    'receptionist test --filter cancel --repeat 5 --min-pass-rate 0.8',
    'receptionist test from-call 6f1c…',
  ],
  load: () => import('./test.js').then((m) => m.test),
  subcommands: [
    {
      name: 'from-call',
      summary: "Turn a real call into a test: the caller's turns and tool calls, de-identified",
      ...fromCallSpec,
      details: `Reads the call's recorded messages (\`serve --record\`) or its call log, opened with an admin's keys
(audited). Names, phone numbers, emails and appointment IDs are replaced by consistent fakes; nothing
sealed goes into the file. Edit the expectations, then run it with \`receptionist test\`.
With --json: one object {file, callId, source, turns, toolCalls, replaced}.`,
      examples: ['receptionist test from-call 6f1c… --username asha', 'receptionist test from-call 6f1c… --out -'],
      load: () => import('./from-call.js').then((m) => m.fromCall),
    },
  ],
});
