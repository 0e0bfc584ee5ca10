import { describe, expect, test } from 'vitest';
import { MalformedMessageError, parseEnvelope, parseServerMessage } from '../../src/vapi/server-message.js';

const parse = (message: unknown) => parseServerMessage(parseEnvelope(Buffer.from(JSON.stringify({ message }))));

describe('server messages are parsed once, at the edge, into typed shapes', () => {
  test('tool-calls: object or JSON-string arguments, ISO or epoch timestamps, the caller from either place', () => {
    const m = parse({
      type: 'tool-calls',
      timestamp: '2026-11-21T04:30:00.000Z',
      call: { id: 'call_1', type: 'inboundPhoneCall', assistantId: null, customer: { number: '+919812345678' } },
      toolCallList: [
        { id: 't1', function: { name: 'list_doctors', arguments: { specialty: 'cardiology' } } },
        { id: 't2', function: { name: 'check_availability', arguments: '{"doctor":"Dr. Mehta"}' } },
        { id: 't3', function: { name: 'book_appointment', arguments: '{not json' } },
        { toolCallId: 't4', name: 'cancel_appointment', arguments: '[1]' },
      ],
    });
    expect(m).toMatchObject({
      type: 'tool-calls',
      timestampMs: Date.parse('2026-11-21T04:30:00.000Z'),
      callId: 'call_1',
      callType: 'inboundPhoneCall',
      assistantId: undefined,
      customerNumber: '+919812345678',
    });
    if (m.type !== 'tool-calls') throw new Error('not tool-calls');
    expect(m.toolCalls.map((c) => [c.id, c.name, c.arguments])).toEqual([
      ['t1', 'list_doctors', { ok: true, value: { specialty: 'cardiology' } }],
      ['t2', 'check_availability', { ok: true, value: { doctor: 'Dr. Mehta' } }],
      ['t3', 'book_appointment', { ok: false, error: 'The tool arguments are not valid JSON.' }],
      ['t4', 'cancel_appointment', { ok: false, error: 'The tool arguments must be a JSON object.' }],
    ]);
  });

  test('end-of-call-report: nulls are absent, numbers may be text, the structured outputs by name', () => {
    const m = parse({
      type: 'end-of-call-report',
      timestamp: 1763699400000,
      call: { id: 'call_2', startedAt: '2026-11-21T04:00:00Z' },
      customer: { number: '+919812345678' },
      endedAt: '2026-11-21T04:02:34Z',
      endedReason: 'customer-ended-call',
      cost: '0.1234',
      durationSeconds: null,
      summary: null,
      artifact: {
        transcript: 'AI: Welcome!',
        structuredOutputs: { 'so-1': { name: 'callSummary', result: 'Booked a cardiologist.' } },
      },
    });
    if (m.type !== 'end-of-call-report') throw new Error('not a report');
    expect(m.report).toMatchObject({
      callId: 'call_2',
      startedAt: '2026-11-21T04:00:00Z',
      endedAt: '2026-11-21T04:02:34Z',
      durationSeconds: 154,
      cost: 0.1234,
      summary: undefined,
      customerNumber: '+919812345678',
      transcript: 'AI: Welcome!',
      structuredOutputs: { callSummary: 'Booked a cardiologist.' },
    });
  });

  test('other types: known ones are acknowledged as known, final-only transcripts too; new ones as unknown', () => {
    expect(parse({ type: 'speech-update', status: 'started' })).toMatchObject({ type: 'other', known: true });
    expect(parse({ type: 'transcript[transcriptType="final"]' })).toMatchObject({ type: 'other', known: true });
    expect(parse({ type: 'brand-new-type' })).toMatchObject({
      type: 'other',
      vapiType: 'brand-new-type',
      known: false,
    });
    expect(parse({ type: 'transfer-destination-request' })).toMatchObject({ type: 'transfer-destination-request' });
  });

  test.each([
    [{ type: 'status-update', call: { id: 'c' } }, /needs "message.call.id" and "message.status"/],
    [{ type: 'end-of-call-report', call: {} }, /has no "message.call.id"/],
    [{ type: 'tool-calls', call: { id: 'c' }, toolCallList: [] }, /has no "toolCallList"/],
    [{ type: 'tool-calls', toolCallList: [{ function: { name: 'x' } }] }, /toolCallList\[0\] has no "id"/],
    [{ type: 'function-call', functionCall: {} }, /has no "message.functionCall.name"/],
    [{ type: 'status-update', status: 'ended', call: { id: { nested: true } } }, /"message.call.id" must be a string/],
    [{ type: 'hang', timestamp: 'yesterday' }, /"message.timestamp" must be epoch milliseconds or an ISO date/],
    [{ type: 'end-of-call-report', call: { id: 'c' }, cost: 'free' }, /"cost" must be a number/],
  ])('%o is malformed (400)', (message, error) => {
    expect(() => parse(message)).toThrow(MalformedMessageError);
    expect(() => parse(message)).toThrow(error);
  });
});
