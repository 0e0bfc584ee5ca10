import { Argument, Option } from '@commander-js/extra-typings';
import { defineCommand, spec, type FlagsOf } from '../shared/command.js';

/** A run module's export, loaded on use (the type import costs nothing at run time). */
const load =
  <K extends keyof typeof import('./backup.js')>(name: K) =>
  () =>
    import('./backup.js').then((m) => m[name]);

export const backupSpec = spec({
  arguments: [new Argument('<file>', 'the archive to write (.tar.gz), or - for stdout')],
  options: [
    new Option(
      '--include-secrets',
      'put RECEPTIONIST_BLIND_INDEX_KEY and RECEPTIONIST_SEALING_KEY_PIN from .env in the archive too',
    ),
    new Option('--force', 'overwrite <file> if it exists'),
  ],
});
export type BackupFlags = FlagsOf<typeof backupSpec>;

export const restoreSpec = spec({
  arguments: [new Argument('<file>', 'an archive written by `receptionist backup`, or - for stdin')],
  options: [
    new Option(
      '--force',
      'replace what the store holds (its collections and call logs; the audit log keeps its entries)',
    ),
  ],
});
export type RestoreFlags = FlagsOf<typeof restoreSpec>;

export const backupCommand = defineCommand({
  name: 'backup',
  summary: 'Write a consistent snapshot of the whole store as one archive (also while serve runs)',
  ...backupSpec,
  details: `One gzipped tar: manifest.json (the files with their SHA-256 and record counts), each collection,
the call logs, and the audit, chat and recording logs, as NDJSON, the same for either backend. The
snapshot is one moment of the store: SQLite's VACUUM INTO for the embedded store (writers are not
held up), a snapshot session on a MongoDB replica set or Atlas (a standalone server has none: a
warning says so). Sealed fields stay sealed: the archive opens with the same admins' passwords.
Without --include-secrets it holds no key; keep RECEPTIONIST_BLIND_INDEX_KEY (in .env) with it, or
lookups by phone number and pending notifications need \`keys reindex\` after a restore. With it,
the archive is as sensitive as .env. The file is written whole (mode 600) or not at all; - streams,
so \`receptionist backup - | aws s3 cp - s3://bucket/clinic.tar.gz\` works from cron (it refuses a
terminal). Audited. Exit 1: <file> exists (without --force), --include-secrets without a key.
With --json: one object {file, bytes, createdAt, snapshot, secrets, records} (on stderr with -).`,
  examples: [
    'receptionist backup clinic-2026-12-01.tar.gz',
    'receptionist backup - | aws s3 cp - s3://clinic-backups/$(date +%F).tar.gz',
    'receptionist backup --include-secrets vault/clinic.tar.gz',
  ],
  load: load('backup'),
});

export const restoreCommand = defineCommand({
  name: 'restore',
  summary: 'Restore a backup into an empty store, after checking every checksum',
  ...restoreSpec,
  details: `Every file of the archive is checked against the manifest (present, size, SHA-256, records)
before anything is written; an archive that fails exits 1 and changes nothing. The store must be
empty (a new --data-dir or database) unless --force. The embedded store is restored in one
transaction (all or nothing); MongoDB collection by collection (run it again with --force if it
stopped). A backup from either backend restores into either. With the archive's secrets, their
values are written to .env when it has none; a different RECEPTIONIST_BLIND_INDEX_KEY in .env exits 1.
Stop serve first. Audited. With --json: one object {file, createdAt, records, written, secrets}.`,
  examples: [
    'receptionist --data-dir /srv/clinic-restored restore clinic-2026-12-01.tar.gz',
    'aws s3 cp s3://clinic-backups/2026-12-01.tar.gz - | receptionist restore -',
  ],
  load: load('restore'),
});
