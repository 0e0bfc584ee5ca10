import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { expect, test } from 'vitest';
import { packageRoot } from '../src/paths.js';

// The house's size limits (CONTRIBUTING.md "Size"): no function in src/ or web/ over 120 lines, no
// file in src/ over 500. A function that grows past them is split into named steps; a file, into rooms.
const MAX_FUNCTION_LINES = 120;
const MAX_FILE_LINES = 500;

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).flatMap((e) => {
    const file = path.join(e.parentPath, e.name);
    return e.isFile() && /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [file] : [];
  });
}

/** Functions (declarations, methods, arrows, expressions) longer than `max` lines, as "file:line name (n lines)". */
function longFunctions(file: string, max: number): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(
    file,
    text,
    ts.ScriptTarget.Latest,
    true,
    file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS,
  );
  const out: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      if (lines > max) {
        const name =
          node.name?.getText(sf) ??
          (ts.isVariableDeclaration(node.parent) ? node.parent.name.getText(sf) : '(anonymous)');
        out.push(`${path.relative(packageRoot(), file)}:${start + 1} ${name} (${lines} lines)`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

test(`no function in src/ or web/ is over ${MAX_FUNCTION_LINES} lines`, () => {
  const files = [...sources(path.join(packageRoot(), 'src')), ...sources(path.join(packageRoot(), 'web'))];
  expect(files.length).toBeGreaterThan(50);
  expect(files.flatMap((f) => longFunctions(f, MAX_FUNCTION_LINES))).toEqual([]);
});

test(`no file in src/ is over ${MAX_FILE_LINES} lines`, () => {
  const long = sources(path.join(packageRoot(), 'src'))
    .map((f) => [path.relative(packageRoot(), f), fs.readFileSync(f, 'utf8').split('\n').length] as const)
    .filter(([, n]) => n > MAX_FILE_LINES)
    .map(([f, n]) => `${f} (${n} lines)`);
  expect(long).toEqual([]);
});

test('the limits are measured: a long function is found', () => {
  const probe = path.join(packageRoot(), 'node_modules', '.cache', 'house-probe.ts');
  fs.mkdirSync(path.dirname(probe), { recursive: true });
  fs.writeFileSync(probe, `export function long() {\n${'  void 0;\n'.repeat(MAX_FUNCTION_LINES)}}\n`);
  try {
    expect(longFunctions(probe, MAX_FUNCTION_LINES)).toEqual([
      expect.stringMatching(/house-probe\.ts:1 long \(122 lines\)/),
    ]);
  } finally {
    fs.rmSync(probe);
  }
});
