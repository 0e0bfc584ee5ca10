import cliProgress from 'cli-progress';
import { renderTable } from '../shared/table.js';
import type { IO } from '../../io.js';
import type { GlobalOptions } from '../shared/globals.js';
import type { CleanupResult, MigrateResult, Progress } from './migrate.js';

/** A progress bar on stderr, only on a terminal and never with --json (cli-progress). */
export function progressBar(g: GlobalOptions, io: IO): Progress {
  if (!io.isErrTTY || g.json) return { start() {}, tick() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: io.err,
      format: 'Copying {collection} [{bar}] {value}/{total}',
      hideCursor: true,
      clearOnComplete: true,
      noTTYOutput: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    start(total) {
      bar.start(total, 0, { collection: '' });
      started = true;
    },
    tick(collection) {
      bar.increment(1, { collection: collection.padEnd(22) });
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

/** Warnings on stderr; then a table per collection (or one JSON object with --json). */
export function renderMigrate(
  r: MigrateResult,
  _o: unknown,
  { io, globals: g }: { io: IO; globals: GlobalOptions },
): void {
  for (const w of r.warnings) io.error(`Warning: ${w}`);
  if (g.json) return io.line(JSON.stringify(r));
  const head = ['collection', 'source', 'new', 'updated', 'unchanged', 'skipped', 'in target'];
  const rows = r.collections.map((c) => [
    c.name,
    c.source,
    c.inserted,
    c.replaced,
    c.unchanged,
    c.skipped,
    `${c.inTarget} ✓`,
  ]);
  io.line(renderTable(head, rows, io, g.color));
  const total = r.collections.reduce((n, c) => n + c.inserted + c.replaced, 0);
  const verb = r.dryRun ? 'Would write' : 'Wrote';
  io.info(
    `${verb} ${total} record(s) from ${r.from} to ${r.to}; every count checked.${r.warnings.length ? ` ${r.warnings.length} skipped (see warnings).` : ''}`,
  );
  if (r.backup)
    io.info(
      `The NeDB files are in ${r.backup}; \`receptionist migrate --cleanup\` removes them once you have checked the store.`,
    );
}

/** `migrate --cleanup`: each backup, its records and how many the store holds (one JSON object with --json). */
export function renderCleanup(
  r: CleanupResult,
  _o: unknown,
  { io, globals: g }: { io: IO; globals: GlobalOptions },
): void {
  if (g.json) return io.line(JSON.stringify(r));
  if (!r.backups.length) return io.info('No NeDB backup to remove.');
  const head = ['backup', 'records', 'in store', r.dryRun ? 'would remove' : 'removed'];
  io.line(
    renderTable(
      head,
      r.backups.map((b) => [b.path, b.records, `${b.inStore} ✓`, r.dryRun ? 'yes' : b.removed ? 'yes' : 'no']),
      io,
      g.color,
    ),
  );
  io.info(
    `${r.dryRun ? 'Would remove' : 'Removed'} ${r.backups.length} NeDB backup(s); every record is in ${r.store}.`,
  );
}
