import { Ajv, type ValidateFunction } from 'ajv';
import type { CollectionName } from './types.js';

/**
 * The document shape version this build writes and reads. A document may carry
 * `schemaVersion` (absent means 1); one from a newer receptionist (`schemaVersion` above this)
 * is skipped by readers that would misread it (`migrate`, `logs`), with a warning naming its id.
 */
export const SCHEMA_VERSION = 1;

type Property = { type: string | string[]; [keyword: string]: unknown };
type Schema = { required: string[]; properties: Record<string, Property> };
const s = (props: Record<string, string | string[] | Property>): Schema => ({
  required: Object.keys(props),
  properties: Object.fromEntries(
    Object.entries(props).map(([k, p]) => [k, typeof p === 'object' && !Array.isArray(p) ? p : { type: p }]),
  ),
});

/** Epoch ms from 2000 to 2100: a stored instant outside it (a `1e308`) would break every listing. */
const EPOCH_MS: Property = { type: 'number', minimum: Date.UTC(2000, 0, 1), maximum: Date.UTC(2100, 0, 1) };
/** An ISO 8601 instant as receptionist stores them ("2026-11-21T04:28:30.000Z", an offset instead of Z allowed). */
export const ISO_INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)$/;
/** {@link ISO_INSTANT}, or '' for none. */
const ISO_OR_EMPTY: Property = { type: 'string', pattern: `^$|${ISO_INSTANT.source}` };

/**
 * What each stored document must have (JSON Schema, checked with ajv): the fields receptionist
 * reads without a fallback. Extra fields are allowed: older builds ignore what newer ones add.
 */
export const DOCUMENT_SCHEMAS: Record<CollectionName | 'call_logs' | 'audit' | 'chats' | 'recordings', Schema> = {
  bot_configs: s({ _id: 'string', clinic: 'object', assistant: 'object', tools: 'array' }),
  // weeklyHours: { mon: [["10:00", "13:00"], …], … }; a malformed range would break every slot search.
  doctors: s({
    _id: 'string',
    name: 'string',
    weeklyHours: {
      type: 'object',
      additionalProperties: {
        type: 'array',
        items: {
          type: 'array',
          minItems: 2,
          maxItems: 2,
          items: { type: 'string', pattern: '^([01]\\d|2[0-3]):[0-5]\\d$|^24:00$' },
        },
      },
    },
  }),
  holidays: s({
    _id: 'string',
    name: 'string',
    from: { type: 'string', pattern: '^\\d{4}-\\d\\d-\\d\\d$' },
    to: { type: 'string', pattern: '^\\d{4}-\\d\\d-\\d\\d$' },
  }),
  outbox: s({ _id: 'string', event: 'string', status: 'string', dueAt: 'number', deliveries: 'object' }),
  webhooks: s({ _id: 'string', url: 'string', secret: 'string', events: 'array' }),
  customers: s({ _id: 'string', name: 'string' }),
  appointments: s({
    _id: 'string',
    appointmentId: 'string',
    // A status no rule knows, or a start that is not an instant, would be offered free and then refused.
    status: { type: 'string', enum: ['held', 'confirmed', 'cancelled', 'expired', 'rescheduled'] },
    doctorId: 'string',
    start: { type: 'string', pattern: ISO_INSTANT.source },
    startMs: EPOCH_MS,
  }),
  ac_purchases: s({
    _id: 'string',
    customerId: 'string',
    serialNumber: 'string',
    model: 'string',
    purchaseDate: 'string',
  }),
  ac_service_visits: s({ _id: 'string', visitId: 'string' }),
  troubleshooting_guides: s({ _id: 'string', title: 'string', keywords: 'array', steps: 'array' }),
  call_status: s({ _id: 'string', status: 'string', at: EPOCH_MS }),
  replies: s({ _id: 'string', createdAt: 'string' }),
  access_failures: s({ _id: 'string', count: 'number', lastAt: 'string' }),
  keys: s({ _id: 'string', publicKey: 'string', status: 'string', grants: 'object' }),
  users: s({ _id: 'string', publicKey: 'string', wrap: 'object' }),
  call_logs: s({
    callId: 'string',
    endedAt: ISO_OR_EMPTY,
    customerNumber: 'string',
    customerIndex: 'string',
    summary: 'string',
    transcript: 'string',
    recordingUrl: 'string',
    durationSeconds: ['number', 'null'],
    cost: ['number', 'null'],
  }),
  audit: s({ at: 'string', user: 'string', action: 'string', details: 'object' }),
  chats: s({ chatId: 'string', at: 'string', input: 'string', output: 'string' }),
  recordings: s({ callId: 'string', type: 'string', at: 'string', seq: 'number', body: 'string' }),
};

let compiled: Map<string, ValidateFunction> | undefined;

/**
 * Why a stored document cannot be used by this build, or undefined when it can.
 * @returns e.g. `written by a newer receptionist (schemaVersion 2)`, `missing "startMs"`, `"status" must be string`
 */
export function documentProblem(collection: keyof typeof DOCUMENT_SCHEMAS, doc: unknown): string | undefined {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'not an object';
  const version = (doc as { schemaVersion?: unknown }).schemaVersion;
  if (version !== undefined && (typeof version !== 'number' || version > SCHEMA_VERSION))
    return `written by a newer receptionist (schemaVersion ${JSON.stringify(version)}; this build reads ${SCHEMA_VERSION})`;
  if (!compiled) {
    const ajv = new Ajv({ allErrors: false, strict: false });
    compiled = new Map(
      Object.entries(DOCUMENT_SCHEMAS).map(([name, schema]) => [name, ajv.compile({ type: 'object', ...schema })]),
    );
  }
  const validate = compiled.get(collection)!;
  if (validate(doc)) return undefined;
  const e = validate.errors![0]!;
  if (e.keyword === 'required') return `missing "${(e.params as { missingProperty: string }).missingProperty}"`;
  return `"${e.instancePath.slice(1).replace(/\//g, '.')}" ${e.message ?? 'is invalid'}`;
}

/** The id a warning names: `_id`, else `callId` / `chatId`, else `at`. */
export function documentId(doc: unknown): string {
  const d = (doc ?? {}) as Record<string, unknown>;
  return String(d._id ?? d.callId ?? d.chatId ?? d.at ?? '?');
}
