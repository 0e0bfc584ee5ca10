import type { Deps } from '../../deps.js';
import type { Store } from '../../store/types.js';
import type { GlobalOptions } from './globals.js';

/** Opens the configured store (local for now). Lazily imported so `--help` loads no store code. */
export async function openStore(g: GlobalOptions, deps: Deps, opts: { readOnly?: boolean; purpose: string }): Promise<Store> {
  const { openLocalStore } = await import('../../store/local/index.js');
  return openLocalStore({ dir: g.dataDir.value, readOnly: opts.readOnly, purpose: opts.purpose, onWarning: (m) => deps.io.error(`Warning: ${m}`) });
}
