// Bundles the studio's front end (web/) into dist/web: index.html and assets/ with hashed names.
// esbuild: one entry, code split so Chart.js and the other pages load with their page only.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'web');
fs.rmSync(out, { recursive: true, force: true });
const result = await build({
  entryPoints: [path.join(root, 'web', 'main.tsx')],
  outdir: path.join(out, 'assets'),
  bundle: true,
  splitting: true,
  format: 'esm',
  minify: true,
  target: ['chrome120', 'firefox120', 'safari16'],
  entryNames: '[name]-[hash]',
  chunkNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'external',
  metafile: true,
  logLevel: 'warning',
});
const entry = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint === 'web/main.tsx');
if (!entry) throw new Error('esbuild wrote no entry for web/main.tsx');
const js = path.basename(entry[0]);
const css = path.basename(entry[1].cssBundle ?? '');
if (!css) throw new Error('esbuild wrote no CSS for web/main.tsx');
const html = fs
  .readFileSync(path.join(root, 'web', 'index.html'), 'utf8')
  .replace('%JS%', js)
  .replace('%CSS%', css);
fs.writeFileSync(path.join(out, 'index.html'), html);
