import { Option } from '@commander-js/extra-typings';
import { defineCommand, spec, type FlagsOf } from '../shared/command.js';

export const seedSpec = spec({
  options: [new Option('--force', 'overwrite records that already exist')],
});
export type SeedFlags = FlagsOf<typeof seedSpec>;

export const seedCommand = defineCommand({
  name: 'seed',
  summary: 'Write the default bot config and sample clinic/AC data from templates/ into the store',
  ...seedSpec,
  details: 'With --json: one object {dataDir, collections: [{collection, written, kept}]}.',
  examples: ['receptionist seed', 'receptionist seed --force --data-dir ./demo-store'],
  load: () => import('./seed.js').then((m) => m.seed),
});
