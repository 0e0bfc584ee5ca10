import { z } from 'zod';
import type { Body, Query, Route } from './contract.js';

/**
 * What each route accepts, checked before its operation runs (zod): the contract's query and body
 * types as schemas, each typed against the contract (`z.ZodType<Body<K>>`), so the two cannot drift.
 * A request that does not fit gets 400 with the first problem, naming the field.
 */

/** Text as a form sends it; a number is read as text, blanks as absent. */
const text = z.union([z.string(), z.number()]).transform((v) => String(v).trim());
const optionalText = text.optional().transform((v) => v || undefined);
/** Required text; `what` names it in the message ("Give the time."). */
const required = (what: string) =>
  z
    .union([z.string(), z.number()], { error: `Give ${what}.` })
    .transform((v) => String(v).trim())
    .refine((v) => v !== '', { error: `Give ${what}.` });
const password = (what: string) =>
  z.string({ error: `Give your password to open the ${what}.` }).min(1, `Give your password to open the ${what}.`);

type Schemas = {
  [K in Route]?: { query?: z.ZodType<Query<K>, unknown>; body?: z.ZodType<Body<K>, unknown> };
};

export const SCHEMAS: Schemas = {
  'GET /api/appointments': {
    query: z.object({
      from: optionalText,
      to: optionalText,
      doctor: optionalText,
      status: z
        .enum(['confirmed', 'held', 'cancelled', 'all'], {
          error: (i) => `Invalid status "${String(i.input)}": use confirmed, held, cancelled or all.`,
        })
        .optional(),
    }),
  },
  'POST /api/appointments': {
    body: z
      .object({
        doctor: optionalText,
        specialty: optionalText,
        at: required('the time'),
        name: required("the patient's name"),
        phone: required('the phone number'),
        email: required('the email'),
        reason: required('the reason for the visit'),
      })
      .refine((b) => !b.doctor !== !b.specialty, { error: 'Give a doctor or a specialty.' }),
  },
  'POST /api/appointments/:id/move': { body: z.object({ at: required('the new time') }) },
  'POST /api/appointments/:id/cancel': { body: z.object({ reason: required('the reason for cancelling') }) },
  'POST /api/appointments/:id/decrypt': { body: z.object({ password: password('appointment') }) },
  'GET /api/slots': { query: z.object({ date: optionalText }) },
  'GET /api/service-visits': { query: z.object({ from: optionalText, to: optionalText }) },
  'PUT /api/doctors/:doctor/hours': { body: z.object({ hours: required('the hours') }) },
  'POST /api/doctors/:doctor/leave': {
    body: z.object({ from: required('the first day of the leave'), to: optionalText, note: optionalText }),
  },
  'GET /api/outbox': {
    query: z.object({
      status: z
        .enum(['pending', 'delivered', 'dead', 'cancelled'], {
          error: (i) => `Invalid status "${String(i.input)}": use pending, delivered, dead or cancelled.`,
        })
        .optional(),
    }),
  },
  'POST /api/outbox/retry': { body: z.object({ id: optionalText }) },
  'GET /api/calls': {
    query: z.object({
      date: optionalText.refine((d) => d === undefined || /^\d{4}-\d\d-\d\d$/.test(d), {
        error: 'Invalid date: give a day as YYYY-MM-DD.',
      }),
      endedReason: optionalText,
      caller: optionalText,
      limit: optionalText,
    }),
  },
  'POST /api/calls/:id/decrypt': { body: z.object({ password: password('call') }) },
  'PUT /api/assistant': {
    query: z.object({ force: z.literal('1').optional() }),
    body: z.record(
      z.string(),
      z.union([z.string(), z.number()], { error: (i) => `${String(i.path?.[0] ?? 'A value')} must be text.` }),
    ),
  },
  'POST /api/assistant/plan': { body: z.object({ serverUrl: optionalText }) },
  'POST /api/assistant/publish': { body: z.object({ serverUrl: optionalText }) },
  'GET /api/metrics': { query: z.object({ since: optionalText }) },
};

/** The first problem of a request that does not fit, as one sentence naming its field. */
export function problemOf(err: z.ZodError): string {
  const issue = err.issues[0];
  if (!issue) return 'The request does not fit this route.';
  const field = issue.path.join('.');
  return issue.message.startsWith('Give') || issue.message.startsWith('Invalid') || !field
    ? issue.message
    : `${field}: ${issue.message}`;
}
