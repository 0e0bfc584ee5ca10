import { Option } from 'commander';
import { defineCommand } from '../shared/command.js';

export const seedCommand = defineCommand({
  name: 'seed',
  summary: 'Write the default bot config and sample clinic/AC data from templates/ into the store',
  options: [new Option('--force', 'overwrite records that already exist')],
  details: 'With --json: one object {dataDir, collections: [{collection, written, kept}]}.',
  examples: ['receptionist seed', 'receptionist seed --force --data-dir ./demo-store'],
  load: () => import('./seed.js').then((m) => m.seed),
});
