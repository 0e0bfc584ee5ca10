import { expect, test, vi } from 'vitest';
import { main } from '../src/cli.js';
import { testDeps } from './support/deps.js';
import { COMMANDS } from '../src/commands/index.js';
import type { CommandDefinition } from '../src/commands/shared/command.js';

// House style 4.14: `--help` and every command's definition load only commander. These
// modules throw if anything on the --help path imports them.
const { loaded } = vi.hoisted(() => ({
  loaded: (name: string) => () => {
    throw new Error(`${name} was imported by --help`);
  },
}));
vi.mock('fastify', loaded('fastify'));
vi.mock('csv-parse', loaded('csv-parse'));
vi.mock('csv-stringify/sync', loaded('csv-stringify'));
vi.mock('cli-table3', loaded('cli-table3'));
vi.mock('chrono-node', loaded('chrono-node'));
vi.mock('chrono-node/en', loaded('chrono-node/en'));
vi.mock('luxon', loaded('luxon'));
vi.mock('libphonenumber-js', loaded('libphonenumber-js'));
vi.mock('chalk', loaded('chalk'));
vi.mock('@inquirer/prompts', loaded('@inquirer/prompts'));
vi.mock('@vapi-ai/server-sdk', loaded('@vapi-ai/server-sdk'));
vi.mock('ora', loaded('ora'));
vi.mock('mongodb', loaded('mongodb'));
vi.mock('@ngrok/ngrok', loaded('@ngrok/ngrok'));
vi.mock('cli-progress', loaded('cli-progress'));
vi.mock('ajv', loaded('ajv'));
// Issue 28: nor the context's own (keys, sealing, Vapi's client): a command's run loads them.
vi.mock('../src/crypto/seal.js', loaded('crypto/seal'));
vi.mock('../src/vapi/client.js', loaded('vapi/client'));
vi.mock('../src/domain/keyring.js', loaded('domain/keyring'));

test('--help of the program and of every command loads no heavy module', async () => {
  // Every command and subcommand of the table cli.ts builds the program from.
  const paths = (defs: readonly CommandDefinition[], prefix: string[] = []): string[][] =>
    defs.flatMap((d) => [[...prefix, d.name], ...paths(d.subcommands ?? [], [...prefix, d.name])]);
  const commands = paths(COMMANDS);
  expect(commands.length).toBeGreaterThan(25);
  for (const argv of [['--help'], ...commands.map((c) => [...c, '--help'])]) {
    const d = testDeps();
    const code = await main(argv, d);
    expect(code, d.io.stderr()).toBe(0);
    expect(d.io.stdout()).toMatch(/^Usage: receptionist/);
  }
});
