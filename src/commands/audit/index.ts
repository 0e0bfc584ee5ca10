import { defineCommand, spec, type FlagsOf } from '../shared/command.js';
import { limitOption, sinceOption } from '../shared/flags.js';

export const auditSpec = spec({
  options: [sinceOption('records'), limitOption('records')],
});
export type AuditFlags = FlagsOf<typeof auditSpec>;

export const auditCommand = defineCommand({
  name: 'audit',
  summary: 'List audit records: every decryption and every change to admins or keys, newest first',
  ...auditSpec,
  details: "Times are in the clinic's zone. With --json: one array of records (`at` in UTC, ISO 8601).",
  examples: ['receptionist audit --since 7d', 'receptionist audit --json --limit 20 | jq .'],
  load: () => import('./audit.js').then((m) => m.audit),
});
