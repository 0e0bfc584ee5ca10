import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { CsvCallLog } from '../../src/store/local/csv-call-log.js';
import { escapeCell, unescapeCell } from '../../src/store/csv-cells.js';
import type { CallLogRecord } from '../../src/store/types.js';
import { tempDir } from '../support/store.js';

let tmp: ReturnType<typeof tempDir>;
let file: string;
beforeEach(() => {
  tmp = tempDir();
  file = path.join(tmp.dir, 'calls.csv');
});
afterEach(() => tmp.cleanup());

const record = (callId: string, over: Partial<CallLogRecord> = {}): CallLogRecord => ({
  callId,
  callType: 'inboundPhoneCall',
  assistantId: 'a',
  startedAt: '2026-11-21T04:00:00.000Z',
  endedAt: `2026-11-21T04:0${callId.length % 10}:00.000Z`,
  durationSeconds: 61.5,
  endedReason: 'customer-ended-call',
  cost: 0.12,
  costBreakdown: '{"total":0.12}',
  customerNumber: '+919812345678',
  customerIndex: 'idx',
  summary: 'Booked, "quoted", with, commas',
  transcript: 'AI: Hi\nUser: नमस्ते — =SUM(A1)\r\nAI: bye',
  recordingUrl: '',
  successEvaluation: 'true',
  receivedAt: '2026-11-21T04:10:00.000Z',
  ...over,
});

describe('DUR-4: formula-safe cells', () => {
  test('cells never start with a formula trigger, also after leading spaces, and every cell round-trips', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('=', '+', '-', '@', '\t', '\r', ' ', "'", 'a', '1', ',', '"', '\n', 'é') }),
        (v) => {
          const e = escapeCell(v);
          return !/^\s*[=+\-@\t\r]/.test(e) && unescapeCell(e) === v;
        },
      ),
      { numRuns: 10_000 },
    );
    fc.assert(
      fc.property(fc.string(), (v) => unescapeCell(escapeCell(v)) === v),
      { numRuns: 10_000 },
    );
  });

  test('a written log holds no cell that a spreadsheet would run, and reads back exactly', async () => {
    const log = await CsvCallLog.open(file, () => {});
    const evil = record('c1', {
      summary: '=cmd|" /C calc"!A0',
      transcript: '  +1+1',
      endedReason: '@SUM(1)',
      customerNumber: '-2',
    });
    await log.append(evil);
    await log.close();
    const text = fs.readFileSync(file, 'utf8');
    for (const line of text.split('\n').slice(1))
      expect(line.split(',').every((c) => !/^"?\s*[=+\-@]/.test(c))).toBe(true);
    expect((await (await CsvCallLog.snapshot(file)).list())[0]).toEqual(evil);
  });
});

describe('DUR-3: torn rows', () => {
  test('a log cut at any byte of its last rows recovers to a clean prefix; no torn row is ever read', async () => {
    const log = await CsvCallLog.open(file, () => {});
    const records = ['call_a', 'call_bb', 'call_ccc'].map((id) => record(id));
    const rowEnds: number[] = [];
    for (const r of records) {
      await log.append(r);
      rowEnds.push(fs.statSync(file).size);
    }
    await log.close();
    const full = fs.readFileSync(file);
    const header = full.indexOf(0x0a) + 1;
    for (let cut = header; cut <= full.length; cut++) {
      fs.writeFileSync(file, full.subarray(0, cut));
      const complete = rowEnds.filter((e) => e <= cut).length;
      const snap = await (await CsvCallLog.snapshot(file)).list();
      expect(snap.map((r) => r.callId).sort()).toEqual(
        records
          .slice(0, complete)
          .map((r) => r.callId)
          .sort(),
      );
      for (const r of snap) expect(records).toContainEqual(r);
      const reopened = await CsvCallLog.open(file, () => {});
      expect(await reopened.list()).toHaveLength(complete);
      // Cut back to the clean prefix: an append lands on a row boundary and reads back.
      expect(await reopened.append(record('call_new'))).toBe(true);
      expect((await reopened.list()).map((r) => r.callId)).toContain('call_new');
      await reopened.close();
      for (const f of fs.readdirSync(tmp.dir)) if (f.includes('.torn-')) fs.rmSync(path.join(tmp.dir, f));
    }
  });

  test('issue 13 item 10: one flipped byte in row 10 quarantines that row only; the 55 after it are kept, nothing is torn', async () => {
    const log = await CsvCallLog.open(file, () => {});
    for (let i = 0; i < 65; i++)
      await log.append(record(`call_${String(i).padStart(2, '0')}`, { summary: `summary number ${i}` }));
    await log.close();
    const text = fs.readFileSync(file, 'utf8');
    const at = text.indexOf('summary number 9') + 'summary number'.length - 3; // inside a letter of row 10's summary
    fs.writeFileSync(file, text.slice(0, at) + String.fromCharCode(text.charCodeAt(at) ^ 0x01) + text.slice(at + 1));
    const warnings: string[] = [];
    const reopened = await CsvCallLog.open(file, (w) => warnings.push(w));
    const ids = (await reopened.list()).map((r) => r.callId);
    expect(ids).toHaveLength(64);
    expect(ids).not.toContain('call_09');
    expect(ids).toContain('call_64');
    expect(warnings).toEqual([
      expect.stringMatching(
        /calls\.csv: 1 row\(s\) failed their checksum and were moved to .*calls\.csv\.quarantine-\S+; the other 64 row\(s\) are kept$/,
      ),
    ]);
    expect(fs.readdirSync(tmp.dir).filter((f) => f.includes('.torn-'))).toEqual([]);
    const aside = fs.readdirSync(tmp.dir).find((f) => f.includes('.quarantine-'))!;
    const quarantined = fs.readFileSync(path.join(tmp.dir, aside), 'utf8');
    // The header and the damaged row, byte for byte as it was (its cells may span lines).
    expect(quarantined.startsWith('callId,')).toBe(true);
    expect(quarantined).toContain('\ncall_09,');
    expect(quarantined).not.toMatch(/call_08|call_10/);
    // Appends go on; the next open finds a clean file.
    await reopened.append(record('call_new'));
    await reopened.close();
    const again: string[] = [];
    const third = await CsvCallLog.open(file, (w) => again.push(w));
    expect((await third.list()).map((r) => r.callId)).toContain('call_new');
    expect(again).toEqual([]);
    await third.close();
  });

  test('a torn tail is moved aside, never deleted', async () => {
    const log = await CsvCallLog.open(file, () => {});
    await log.append(record('call_a'));
    await log.close();
    fs.appendFileSync(file, 'call_b,inbound,"half a transcr');
    const warnings: string[] = [];
    const reopened = await CsvCallLog.open(file, (w) => warnings.push(w));
    await reopened.close();
    expect(warnings[0]).toMatch(/an unfinished last row \(30 bytes\) was moved to .*calls\.csv\.torn-/);
    const aside = fs.readdirSync(tmp.dir).find((f) => f.includes('.torn-'))!;
    expect(fs.readFileSync(path.join(tmp.dir, aside), 'utf8')).toBe('call_b,inbound,"half a transcr');
  });

  test('a log in an older column set is converted on open, every row kept; new columns read as empty', async () => {
    const { createHash } = await import('node:crypto');
    const oldColumns = ['callId', 'endedAt', 'customerNumber', 'transcript'];
    const row = ['call_old', '2026-11-01T10:00:00.000Z', '+919812345678', 'AI: hi'];
    const sum = createHash('sha256').update(JSON.stringify(row)).digest('hex').slice(0, 16);
    fs.writeFileSync(file, `${[...oldColumns, 'checksum'].join(',')}\n${[...row, sum].join(',')}\n`);
    const warnings: string[] = [];
    const log = await CsvCallLog.open(file, (w) => warnings.push(w));
    expect(warnings).toEqual([`${file}: converted 1 rows to the current columns`]);
    expect(await log.append(record('call_new'))).toBe(true);
    const rows = await log.list();
    await log.close();
    expect(rows.map((r) => r.callId)).toEqual(['call_new', 'call_old']);
    expect(rows[1]).toMatchObject({
      callId: 'call_old',
      customerNumber: '+919812345678',
      transcript: 'AI: hi',
      customerIndex: '',
      cost: null,
    });
    expect(fs.readFileSync(file, 'utf8').split('\n')[0]).toContain('customerIndex');
  });

  test('a file that is not ours is refused', async () => {
    fs.writeFileSync(file, 'a,b,c\n1,2,3\n');
    await expect(CsvCallLog.open(file, () => {})).rejects.toThrow(/does not have receptionist's call-log columns/);
  });

  test('a repeated call id is not appended twice, also after reopening', async () => {
    const log = await CsvCallLog.open(file, () => {});
    expect(await log.append(record('c'))).toBe(true);
    expect(await log.append(record('c'))).toBe(false);
    await log.close();
    const again = await CsvCallLog.open(file, () => {});
    expect(await again.append(record('c'))).toBe(false);
    expect(await again.list()).toHaveLength(1);
    await again.close();
  });
});
