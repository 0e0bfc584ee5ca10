import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { packageRoot } from '../src/paths.js';

// Adapters throw neutral errors (a FailureReason); only the CLI layer names flags in a hint
// (src/commands/shared/user-errors.ts). Comments may name flags; string literals may not.
test('no adapter, domain or server module names a command-line flag in a string', () => {
  const offenders: string[] = [];
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = path.join(dir, e.name);
      return e.isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
    });
  for (const layer of ['store', 'vapi', 'tunnel', 'domain', 'crypto', 'server']) {
    for (const file of walk(path.join(packageRoot(), 'src', layer))) {
      fs.readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/^\s*(\/\/|\*|\/\*)/.test(line)) return;
          if (/['"`](?:[^'"`]*[^-\w'"`])?--[a-z][a-z-]+/.test(line))
            offenders.push(`${path.relative(packageRoot(), file)}:${i + 1}: ${line.trim()}`);
        });
    }
  }
  expect(offenders).toEqual([]);
});
