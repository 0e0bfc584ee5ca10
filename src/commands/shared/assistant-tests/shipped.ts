import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../../paths.js';

// The shipped tests of the assistant and where a project keeps its own: light, so `seed` loads
// nothing of the test runner.

/** Where a project keeps its tests, from the project folder (`seed` writes the shipped ones there). */
export const TESTS_DIR = path.join('receptionist', 'tests');

/** The `yaml-language-server` line that points a test file in `dir` at the package's schema. */
export function schemaLine(dir: string): string {
  return `# yaml-language-server: $schema=${path.relative(dir, path.join(packageRoot(), 'schemas'))}/assistant-test.schema.json`;
}

/**
 * Copies the shipped tests (`templates/tests/`) into `dir`, keeping any file already there.
 * @returns the files written and kept, by name
 */
export function writeShippedTests(dir: string): { written: string[]; kept: string[] } {
  const from = path.join(packageRoot(), 'templates', 'tests');
  fs.mkdirSync(dir, { recursive: true });
  const out = { written: [] as string[], kept: [] as string[] };
  for (const name of fs
    .readdirSync(from)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    const to = path.join(dir, name);
    // The schema reference is relative to the repository's templates; a project gets the package's.
    const text = fs
      .readFileSync(path.join(from, name), 'utf8')
      .replace(/^# yaml-language-server: .*$/m, schemaLine(dir));
    try {
      fs.writeFileSync(to, text, { flag: 'wx' });
      out.written.push(name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      out.kept.push(name);
    }
  }
  return out;
}
