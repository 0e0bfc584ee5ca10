import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { main } from '../../src/cli.js';
import { testDeps } from '../support/deps.js';

async function script(shell: string): Promise<string> {
  const d = testDeps();
  expect(await main(['completion', shell], d)).toBe(0);
  return d.io.stdout();
}

describe('receptionist completion', () => {
  test('bash: a valid script that completes commands, subcommands and their flags', async () => {
    const text = await script('bash');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'receptionist-completion-'));
    try {
      const file = path.join(dir, 'receptionist.bash');
      fs.writeFileSync(file, text);
      // Source it in a real bash and ask it, the way the shell does on <Tab>.
      const ask = (line: string) =>
        execFileSync(
          'bash',
          [
            '-c',
            `source ${file}; COMP_WORDS=(${line}); COMP_CWORD=$((\${#COMP_WORDS[@]}-1)); _receptionist; echo "\${COMPREPLY[*]}"`,
          ],
          { encoding: 'utf8' },
        )
          .trim()
          .split(' ');
      expect(ask('receptionist sy')).toEqual(['sync']);
      expect(ask('receptionist sync --ph')).toEqual(['--phone-number']);
      expect(ask("receptionist users ''")).toEqual(['add', 'list', 'passwd', 'remove']);
      expect(ask('receptionist users add --ro')).toEqual(['--role']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('zsh goes through bashcompinit; fish gets one complete line per command and flag', async () => {
    expect(await script('zsh')).toMatch(
      /^# receptionist completion for zsh .*\nautoload -U \+X bashcompinit && bashcompinit\n/,
    );
    const fish = await script('fish');
    expect(fish).toContain(
      "complete -c receptionist -n __fish_use_subcommand -a preflight -d 'Check everything a live phone line needs",
    );
    expect(fish).toContain("complete -c receptionist -n '__fish_seen_subcommand_from sync' -l phone-number -d ");
  });

  test('an unknown shell is a usage error', async () => {
    expect(await main(['completion', 'powershell'], testDeps())).toBe(2);
  });
});
