import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestServer, NOW, type TestServer } from '../support/app.js';
import { describeErrors, minimalInstance, schemaValidator, serverMessageTypes } from '../support/vapi-spec.js';
import { TRANSFER_MESSAGE } from '../../src/server/messages.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s.close();
});

const call = {
  id: 'call_types',
  orgId: 'org',
  createdAt: NOW.toISOString(),
  updatedAt: NOW.toISOString(),
  type: 'inboundPhoneCall',
  status: 'in-progress',
};

/** The smallest message of each type that its `ServerMessage*` schema accepts, with a real call id. */
function minimal(type: string, schema?: string): Record<string, unknown> {
  const base: Record<string, unknown> = {
    ...(schema ? minimalInstance(schema) : {}),
    type,
    timestamp: NOW.getTime(),
    call,
  };
  switch (type) {
    case 'status-update':
      return { ...base, status: 'in-progress' };
    case 'end-of-call-report':
      return { ...base, endedReason: 'customer-ended-call', artifact: { messages: [] }, analysis: {} };
    case 'tool-calls': {
      const toolCall = { id: 'tc_1', type: 'function', function: { name: 'list_doctors', arguments: '{}' } };
      return {
        ...base,
        toolCallList: [toolCall],
        toolWithToolCallList: [
          {
            ...(base.toolWithToolCallList as object[])[0],
            type: 'function',
            function: { name: 'list_doctors' },
            toolCall,
          },
        ],
      };
    }
    case 'function-call':
      // Legacy (still in the serverMessages enum, no schema of its own): the 2024 shape.
      return { ...base, functionCall: { name: 'list_doctors', parameters: {} } };
    default:
      return base;
  }
}

/** The reply schema Vapi reads for the types that expect one (spec `ServerMessageResponse*`). */
const REPLY_SCHEMA: Record<string, string> = {
  'assistant-request': 'ServerMessageResponseAssistantRequest',
  'tool-calls': 'ServerMessageResponseToolCalls',
  'transfer-destination-request': 'ServerMessageResponseTransferDestinationRequest',
  'handoff-destination-request': 'ServerMessageResponseHandoffDestinationRequest',
  'knowledge-base-request': 'ServerMessageResponseKnowledgeBaseRequest',
  'call.endpointing.request': 'ServerMessageResponseCallEndpointingRequest',
  'campaign.predial': 'ServerMessageResponseCampaignPredial',
};

describe('every server message type in the spec', () => {
  const types = serverMessageTypes();

  test('the spec lists the types this test covers', () => {
    expect(types.map((t) => t.type)).toEqual(
      expect.arrayContaining([
        'tool-calls',
        'end-of-call-report',
        'transcript[transcriptType="final"]',
        'transfer-destination-request',
        'assistant.started',
        'campaign.predial',
      ]),
    );
    expect(types.length).toBeGreaterThanOrEqual(30);
  });

  test.each(types)('$type gets a 2xx, and a reply in the shape Vapi expects', async ({ type, schema }) => {
    const message = minimal(type, schema);
    if (schema) {
      const valid = schemaValidator(schema);
      expect(valid(message), `the test's own ${type} must be valid: ${describeErrors(valid)}`).toBe(true);
    }
    const res = await s.send(message);
    expect(res.status).toBeGreaterThanOrEqual(200);
    expect(res.status).toBeLessThan(300);
    const replySchema = REPLY_SCHEMA[type];
    if (type === 'function-call') {
      expect(res.body).toEqual({ result: expect.stringMatching(/^We have 5 doctors: Dr\. Anil Mehta/) });
    } else if (replySchema) {
      const valid = schemaValidator(replySchema);
      expect(valid(res.body), `${type} reply ${JSON.stringify(res.body).slice(0, 200)}: ${describeErrors(valid)}`).toBe(
        true,
      );
    } else {
      expect(res.body).toEqual({});
    }
    expect(s.warnings).toEqual([]);
  });

  test('a final transcript is handled as a transcript', async () => {
    const before = s.events.length;
    await s.send(minimal('transcript[transcriptType="final"]', 'ServerMessageTranscript'));
    expect(s.events.slice(before)).toEqual([expect.objectContaining({ status: 200, outcome: 'ignored' })]);
  });

  test('transfer-destination-request is answered with the front desk from the clinic config', async () => {
    const res = await s.send(minimal('transfer-destination-request', 'ServerMessageTransferDestinationRequest'));
    expect(res.body).toEqual({
      destination: { type: 'number', number: '+918041234567', message: TRANSFER_MESSAGE },
      message: { type: 'request-start', content: TRANSFER_MESSAGE },
    });
  });

  test('a type Vapi adds later gets 200 {} and one warning line, however often it comes', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await s.send({ type: 'assistant.thinkingStarted', timestamp: NOW.getTime(), call });
      expect(res).toEqual({ status: 200, body: {} });
    }
    expect(s.warnings).toEqual([
      'Vapi sent a message of type "assistant.thinkingStarted", which this version does not know; it was acknowledged with 200 {} and ignored.',
    ]);
    expect(s.events.at(-1)).toMatchObject({ type: 'assistant.thinkingStarted', status: 200, outcome: 'unknown-type' });
    s.warnings.length = 0;
  });
});
