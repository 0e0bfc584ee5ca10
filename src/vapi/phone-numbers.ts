import type { VapiClient } from '@vapi-ai/server-sdk';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { UsageError, UserError } from '../errors.js';
import { vapiRequest, type VapiSettings } from './client.js';

/**
 * One phone number on the Vapi account (`GET /phone-number`, spec `VapiPhoneNumber`,
 * `TwilioPhoneNumber`, `VonagePhoneNumber`, `TelnyxPhoneNumber`, `ByoPhoneNumber`).
 */
export interface PhoneNumberRow {
  id: string;
  /** E.164, absent for a SIP-only number. */
  number?: string;
  provider: string;
  name?: string;
  /** What an inbound call reaches: `assistant <id>`, `squad <id>`, `workflow <id>`, `server <url> (assistant-request)`, or `nothing`. */
  pointsAt: string;
  /** Where its server messages go, when set. */
  serverUrl?: string;
  credentialId?: string;
  /** Where it can place calls to: `US` for a free Vapi number, `any` for an imported one. */
  callsOut: OutboundScope;
  raw: Record<string, unknown>;
}

/**
 * Where a number can call: a free Vapi number (provider `vapi`) only US numbers ("Free Vapi phone
 * numbers are only available for US national use", docs `fern/phone-calling.mdx`; "You cannot make
 * international calls with a free Vapi number", docs `fern/calls/call-outbound.mdx`). An imported
 * Twilio, Vonage or Telnyx number or a SIP trunk calls wherever its own account allows.
 */
export type OutboundScope = 'US' | 'any';

export function outboundScope(p: { provider?: unknown }): OutboundScope {
  return p.provider === 'vapi' ? 'US' : 'any';
}

/** Can a number of this scope call `e164`? (US: the number's region is US.) */
export function canCall(scope: OutboundScope, e164: string): boolean {
  if (scope === 'any') return true;
  return parsePhoneNumberFromString(e164)?.country === 'US';
}

/** Can a number of this scope call numbers of an ISO 3166 region (the clinic's `defaultRegion`)? */
export function canCallRegion(scope: OutboundScope, region: string): boolean {
  return scope === 'any' || region.toUpperCase() === 'US';
}

export function toPhoneNumberRow(p: Record<string, unknown>): PhoneNumberRow {
  const server = (p.server ?? {}) as { url?: string; credentialId?: string };
  const pointsAt = p.assistantId
    ? `assistant ${String(p.assistantId)}`
    : p.squadId
      ? `squad ${String(p.squadId)}`
      : p.workflowId
        ? `workflow ${String(p.workflowId)}`
        : server.url
          ? `server ${server.url} (assistant-request)`
          : 'nothing';
  return {
    id: String(p.id),
    number: typeof p.number === 'string' ? p.number : typeof p.sipUri === 'string' ? p.sipUri : undefined,
    provider: String(p.provider ?? ''),
    name: typeof p.name === 'string' ? p.name : undefined,
    pointsAt,
    serverUrl: server.url,
    credentialId: server.credentialId,
    callsOut: outboundScope(p),
    raw: p,
  };
}

/** One phone number as Vapi has it now (`GET /phone-number/{id}`). @throws AuthError, NetworkError, UserError (404: gone) */
export async function readPhoneNumber(vapi: VapiClient, s: VapiSettings, id: string): Promise<PhoneNumberRow> {
  const p = (await vapiRequest(`read phone number ${id}`, s, () => vapi.phoneNumbers.get({ id }))) as unknown as Record<
    string,
    unknown
  >;
  return toPhoneNumberRow(p);
}

/** Every phone number of the account. @throws AuthError, NetworkError, UserError from Vapi */
export async function listPhoneNumbers(vapi: VapiClient, s: VapiSettings): Promise<PhoneNumberRow[]> {
  const list = (await vapiRequest('list phone numbers', s, () =>
    vapi.phoneNumbers.list({ limit: 1000 }),
  )) as unknown as Record<string, unknown>[];
  return list.map(toPhoneNumberRow);
}

/**
 * The number a selector names: a Vapi id, or an E.164 number (spaces and dashes allowed).
 * @throws UsageError (neither), UserError (no such number on the account, with the ones there are)
 */
export function findPhoneNumber(rows: PhoneNumberRow[], selector: string): PhoneNumberRow {
  const byId = rows.find((r) => r.id === selector);
  if (byId) return byId;
  const looksLikeNumber = /^\+?[\d\s().-]+$/.test(selector);
  if (!looksLikeNumber) {
    throw new UserError(
      `No phone number with id "${selector}" on this Vapi account.`,
      rows.length
        ? `There are: ${rows.map((r) => `${r.number ?? '?'} (${r.id})`).join(', ')}.`
        : 'Buy or import one in the Vapi dashboard first.',
    );
  }
  const parsed = parsePhoneNumberFromString(selector.trim());
  if (!parsed?.isValid())
    throw new UsageError(
      `"${selector}" is not a phone number in E.164 form.`,
      'Give it with its country code, e.g. +918041234567, or give the Vapi phone-number id.',
    );
  const match = rows.find((r) => r.number === parsed.number);
  if (!match) {
    throw new UserError(
      `${parsed.number} is not a phone number of this Vapi account.`,
      rows.length
        ? `There are: ${rows.map((r) => `${r.number ?? '?'} (${r.id})`).join(', ')}.`
        : 'Buy or import one in the Vapi dashboard first.',
    );
  }
  return match;
}
