import { Help } from 'commander';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { COMMANDS } from '../../../src/commands/index.js';
import { COMMAND_MANIFEST } from '../../../src/commands/manifest.js';
import { toCommander } from '../../../src/commands/shared/command.js';
import { invokedCommand, main } from '../../../src/cli.js';
import { testDeps } from '../../support/deps.js';

describe('the command manifest (what --help lists without loading a definition)', () => {
  test('every entry is what its definition would show, in the order of the full table', async () => {
    const help = new Help();
    const fromDefinitions = COMMANDS.map((d) => {
      const c = toCommander(d, testDeps(), { contexts: [] });
      return { name: d.name, term: help.subcommandTerm(c), summary: d.summary };
    });
    expect(COMMAND_MANIFEST.map(({ name, term, summary }) => ({ name, term, summary }))).toEqual(fromDefinitions);
    // Each entry loads its own definition.
    for (const entry of COMMAND_MANIFEST) expect((await entry.load()).name).toBe(entry.name);
  });

  test.each([
    [['sync', '--check'], 'sync'],
    [['--data-dir', 'x', '--json', 'doctors', 'leave', 'list'], 'doctors'],
    [['--data-dir=x', 'logs'], 'logs'],
    [['help', 'serve'], 'serve'],
    [['--log-to', 'csv', 'serve', '--port', '0'], 'serve'],
    [['--help'], undefined],
    [[], undefined],
    [['syncc'], undefined],
    [['--data-dir', 'sync'], undefined], // "sync" is the folder here
  ])('%j runs %s', (argv, name) => {
    expect(invokedCommand(argv)?.name).toBe(name);
  });
});

describe('only the definitions a run needs are loaded', () => {
  afterEach(() => vi.restoreAllMocks());
  const spies = () => new Map(COMMAND_MANIFEST.map((e) => [e.name, vi.spyOn(e, 'load')]));
  const loadedBy = async (argv: string[]) => {
    const s = spies();
    const d = testDeps();
    const code = await main(argv, d);
    vi.restoreAllMocks();
    return { code, out: d.io.stdout(), loaded: [...s].filter(([, spy]) => spy.mock.calls.length).map(([n]) => n) };
  };

  test('the program’s --help loads none; a command’s help, its own; completion, all', async () => {
    const root = await loadedBy(['--help']);
    expect(root.code).toBe(0);
    expect(root.loaded).toEqual([]);
    expect(root.out).toContain('options [options] <kind>');
    const sync = await loadedBy(['sync', '--help']);
    expect(sync.loaded).toEqual(['sync']);
    expect(sync.out).toMatch(/^Usage: receptionist sync \[options\]/);
    const completion = await loadedBy(['completion', 'bash']);
    expect(completion.code).toBe(0);
    expect(completion.loaded).toHaveLength(COMMAND_MANIFEST.length);
    expect(completion.out).toContain('phone-numbers');
  });
});
