import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The package root (the folder holding package.json), from dist/ or src/ alike. */
export function packageRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
}

/** Where the shipped data files live: `templates/` in the package root. */
export function templatesDir(): string {
  return path.join(packageRoot(), 'templates');
}
