import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { expect, test } from 'vitest';
import { studioAssetsDir } from '../../src/commands/studio/studio.js';

// The built front end (npm run build): small, and whole in the package (no CDN at run time).
const dir = studioAssetsDir();
const assets = () => fs.readdirSync(path.join(dir, 'assets')).filter((f) => /\.(js|css)$/.test(f));
const gz = (f: string) => gzipSync(fs.readFileSync(path.join(dir, 'assets', f))).length;

test('the whole bundle is under 500 kB gzipped, the first page a fraction of it', () => {
  const html = fs.readFileSync(path.join(dir, 'index.html'), 'utf8');
  const first = [...html.matchAll(/\/assets\/([\w.-]+\.(?:js|css))/g)].map((m) => m[1]!);
  expect(first).toHaveLength(2);
  for (const f of first) expect(assets()).toContain(f);
  const total = assets().reduce((sum, f) => sum + gz(f), 0);
  expect(total).toBeLessThan(500 * 1024);
  // Chart.js and the other pages load with their page: the sign-in and Today pages need far less.
  expect(first.reduce((sum, f) => sum + gz(f), 0)).toBeLessThan(total / 2);
});

test('nothing is fetched from elsewhere: no external script, style or font', () => {
  const html = fs.readFileSync(path.join(dir, 'index.html'), 'utf8');
  expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);
  for (const f of assets()) {
    const text = fs.readFileSync(path.join(dir, 'assets', f), 'utf8');
    expect(text, f).not.toMatch(/(?:import\(|from|url\()\s*["']?(?:https?:)?\/\//);
  }
});
