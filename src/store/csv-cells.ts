import type { CallLogRecord } from './types.js';

/** Column order of `calls.csv`; the last column, `checksum`, guards each row against tearing. */
export const CALL_LOG_COLUMNS = [
  'callId',
  'callType',
  'assistantId',
  'startedAt',
  'endedAt',
  'durationSeconds',
  'endedReason',
  'cost',
  'costBreakdown',
  'customerNumber',
  'customerIndex',
  'summary',
  'transcript',
  'recordingUrl',
  'successEvaluation',
  'receivedAt',
] as const satisfies readonly (keyof CallLogRecord)[];

const FORMULA_TRIGGER = /^\s*[=+\-@\t\r]/;

/**
 * Makes a cell safe to open in a spreadsheet (DUR-4): a cell that starts, after any spaces,
 * with `= + - @`, a tab or a CR, or with the escape quote itself, gets a leading `'`.
 * `unescapeCell` undoes it exactly, so every value round-trips.
 */
export function escapeCell(value: string): string {
  return FORMULA_TRIGGER.test(value) || value.startsWith("'") ? `'${value}` : value;
}

export function unescapeCell(value: string): string {
  return value.startsWith("'") ? value.slice(1) : value;
}
