import { describe, expect, test } from 'vitest';
import { fit, renderTable } from '../../../src/commands/shared/table.js';

const rows = [
  [
    '2026-12-01 09:30',
    'call_0Ddp8ov-IXwB4Skf-long-id',
    'inboundPhoneCall',
    'ended',
    '154s',
    'customer-ended-call',
    '$0.1124',
    '[sealed]',
    'Asha Verma with Dr. Anil Mehta at 2026-12-08T05:30:00.000Z (confirmed)',
    'The caller booked a general physician for a fever and asked about parking.',
  ],
];
const head = ['Ended', 'Call ID', 'Type', 'Status', 'Duration', 'Ended reason', 'Cost', 'Caller', 'Booked', 'Summary'];

describe('tables', () => {
  test.each([80, 120, 230])('fit a %i-column terminal; wide cells wrap instead of running off', (columns) => {
    const out = renderTable(head, rows, { columns }, false);
    for (const line of out.split('\n')) expect(line.length).toBeLessThanOrEqual(columns);
    // Wrapping keeps words whole where the column is wide enough for them.
    if (columns >= 120) expect(out).toMatch(/\bfever\b/);
  });

  test('without color nothing is escaped, borders included', () => {
    expect(renderTable(head, rows, { columns: 120 }, false)).not.toContain('\u001b[');
  });

  test('fit takes from the widest first and never goes below 6', () => {
    expect(fit([10, 40, 20], 60)).toEqual([10, 30, 20]);
    expect(fit([10, 40, 20], 40)).toEqual([10, 15, 15]);
    expect(fit([8, 8], 4)).toEqual([6, 6]);
    expect(fit([5, 5], 100)).toEqual([5, 5]);
  });
});
