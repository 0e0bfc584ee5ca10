import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { argumentProblem } from '../../src/server/tools/arguments.js';
import { templatesDir } from '../../src/paths.js';
import type { BotConfig } from '../../src/domain/clinic.js';

// Tool arguments are checked against the tools' own JSON Schemas (templates/bot-config/tools.json,
// as sync sends them to Vapi), not by hand in each handler.
const tools = JSON.parse(
  fs.readFileSync(path.join(templatesDir(), 'bot-config', 'tools.json'), 'utf8'),
) as BotConfig['tools'];
const booking = {
  name: 'Asha Verma',
  email: 'asha@example.com',
  phone: '+919812345678',
  date: 'Monday at 10',
  reason: 'fever',
};

describe('argumentProblem', () => {
  test.each<[string, string, Record<string, unknown>, string | RegExp | undefined]>([
    ['fits', 'book_appointment', booking, undefined],
    [
      'a required one missing, described as the schema describes it',
      'book_appointment',
      { ...booking, email: undefined },
      'Missing email: ask the caller (Email address as spelled by the caller).',
    ],
    ['an array for a string', 'check_availability', { date: ['x'] }, 'Argument date must be a string, got array.'],
    [
      'an object for a string',
      'check_availability',
      { date: { when: 'x' } },
      'Argument date must be a string, got object.',
    ],
    ['a number for a string is read as text', 'get_ac_purchase_details', { customerId: 1001 }, undefined],
    ['a null optional one is absent', 'check_availability', { date: 'tomorrow', doctor: null }, undefined],
    ['a null required one is missing', 'ac_troubleshooting', { symptom: null }, /^Missing symptom: ask the caller/],
    ['extra arguments Vapi adds are let through', 'list_doctors', { specialty: 'cardiology', extra: 1 }, undefined],
    ['a tool the config does not describe takes anything', 'no_such_tool', { anything: [1] }, undefined],
  ])('%s', (_what, tool, args, expected) => {
    const problem = argumentProblem(tools, tool, { ...args });
    if (expected === undefined) expect(problem).toBeUndefined();
    else if (typeof expected === 'string') expect(problem).toBe(expected);
    else expect(problem).toMatch(expected);
  });

  test('the arguments are read as the schema says, in place', () => {
    const args: Record<string, unknown> = { customerId: 1001, serialNumber: null };
    expect(argumentProblem(tools, 'get_warranty_info', args)).toBeUndefined();
    expect(args).toEqual({ customerId: '1001' });
  });

  test('the schema in the config rules, not the code: a field the clinic makes required is asked for', () => {
    const stricter = tools.map((t) =>
      t.function.name === 'list_doctors'
        ? {
            ...t,
            function: { ...t.function, parameters: { ...(t.function.parameters as object), required: ['specialty'] } },
          }
        : t,
    );
    expect(argumentProblem(tools, 'list_doctors', {})).toBeUndefined();
    expect(argumentProblem(stricter, 'list_doctors', {})).toMatch(
      /^Missing specialty: ask the caller \(Speciality to filter by/,
    );
  });
});
