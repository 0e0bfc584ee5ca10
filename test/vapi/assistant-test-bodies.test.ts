import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { readAssistantTest, type AssistantTest } from '../../src/domain/assistant-test.js';
import {
  evalRunBody,
  simulationItemChecks,
  simulationRunBody,
  vapiRegex,
} from '../../src/vapi/assistant-test-bodies.js';
import { packageRoot, templatesDir } from '../../src/paths.js';
import { describeErrors, requestValidator } from '../support/vapi-spec.js';

// The bodies `receptionist test` sends to Vapi, checked against Vapi's spec (spec/vapi-openapi.json):
// every shipped test as an eval run, and simulated tests as a simulation run.
const schema = JSON.parse(
  fs.readFileSync(path.join(packageRoot(), 'schemas', 'assistant-test.schema.json'), 'utf8'),
) as object;
const dir = path.join(templatesDir(), 'tests');
const shipped = fs
  .readdirSync(dir)
  .sort()
  .map((f) => readAssistantTest(fs.readFileSync(path.join(dir, f), 'utf8'), f, schema));

const simulated: AssistantTest = {
  name: 'Simulated caller',
  variables: { name: 'Asha' },
  simulate: {
    instruction: 'You want the cardiologist on Wednesday.',
    checks: [{ judge: 'Reads the time back.' }, { regex: '(?i)wednesday' }, { judge: 'Sounds calm.', audio: true }],
  },
  never: ['cancel_appointment'],
};

describe('request bodies', () => {
  test.each(shipped.map((t) => [t.name, t] as const))('eval run of "%s" is a CreateEvalRunDTO', (_n, t) => {
    const valid = requestValidator('post', '/eval/run');
    for (const target of [
      { assistantId: '3f0c9a0e-8a52-4a1e-9f0e-2b8c2f1a6d11' },
      { assistant: { name: 'Candidate' } },
    ]) {
      const body = evalRunBody(t, target, { answers: new Map(), captured: { appointmentId: 'K 7 M' } });
      expect(valid(body), describeErrors(valid)).toBe(true);
    }
  });

  test('a simulation run over chat and over voice is a CreateSimulationRunDTO; audio checks only go over voice', () => {
    const valid = requestValidator('post', '/eval/simulation/run');
    const chat = simulationRunBody(
      [simulated],
      { assistantId: '3f0c9a0e-8a52-4a1e-9f0e-2b8c2f1a6d11' },
      {
        iterations: 3,
        transport: 'chat',
      },
    ) as any;
    expect(valid(chat), describeErrors(valid)).toBe(true);
    expect(chat.transport).toEqual({ provider: 'vapi.webchat' });
    expect(chat.iterations).toBe(3);
    expect(chat.simulations[0].scenario.targetOverrides).toEqual({ variableValues: { name: 'Asha' } });
    expect(chat.simulations[0].scenario.evaluations.map((e: any) => [e.structuredOutput.name, e.value])).toEqual([
      ['check_1', true],
      ['check_2', true],
      ['never_1', false],
    ]);
    const voice = simulationRunBody(
      [simulated],
      { assistant: { name: 'Candidate' } },
      { iterations: 1, transport: 'voice' },
    ) as any;
    expect(valid(voice), describeErrors(valid)).toBe(true);
    expect(voice.transport).toEqual({ provider: 'vapi.websocket' });
    expect(voice.simulations[0].scenario.evaluations).toHaveLength(4);
  });

  test('regex judges take (?i) as the i flag and escape slashes', () => {
    expect(vapiRegex('(?i)cardio')).toBe('/cardio/i');
    expect(vapiRegex('a/b')).toBe('/a\\/b/');
  });
});

describe("Vapi's answers as checks", () => {
  const item = (evaluations: any[], status = 'passed', failureReason?: string) =>
    ({ id: 'i', status, results: { passed: status === 'passed', evaluations }, failureReason }) as any;
  const ev = (name: string, passed: boolean, extra: Record<string, unknown> = {}) => ({
    name,
    passed,
    required: true,
    expectedValue: true,
    extractedValue: passed,
    ...extra,
  });

  test('each evaluation by the check it came from; a skipped one is skipped, never passed', () => {
    expect(
      simulationItemChecks(
        item(
          [
            ev('check_1', true),
            ev('check_2', true, { isSkipped: true, skipReason: 'multimodal in chat mode' }),
            ev('never_1', false),
          ],
          'failed',
        ),
        simulated,
      ),
    ).toEqual([
      { what: '(judged: Reads the time back.)', status: 'passed', required: true },
      { what: 'says regex "(?i)wednesday"', status: 'skipped', detail: 'multimodal in chat mode', required: true },
      { what: 'never calls cancel_appointment', status: 'failed', required: true, detail: 'expected true, got false' },
    ]);
  });

  test('Vapi failing a call whose evaluations held is a failed check of its own', () => {
    const checks = simulationItemChecks(item([ev('check_1', true)], 'failed', 'the call ended in an error'), simulated);
    expect(checks.at(-1)).toEqual({
      what: 'the simulated call',
      status: 'failed',
      detail: 'the call ended in an error',
    });
  });
});
