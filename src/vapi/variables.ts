import { CLINIC_CLOCK } from './assistant-body.js';

/**
 * `{{placeholders}}` in an assistant's prompt and first message (LiquidJS syntax, as Vapi
 * fills them from `assistantOverrides.variableValues`).
 */

/** Vapi's built-in variables, filled without variableValues (docs `fern/assistants/dynamic-variables.mdx`). */
const BUILT_IN_ROOTS = new Set([
  'now',
  'date',
  'time',
  'month',
  'day',
  'year',
  'customer',
  'phoneNumber',
  'call',
  'assistant',
  'transport',
]);

/** The clinic's clock (`{{clinic.now}}`, …), which `sync` expands (src/vapi/assistant-body.ts). */
const OWN_BUILT_INS = new Set(Object.keys(CLINIC_CLOCK));

export interface Placeholders {
  /** Names the caller must give. */
  required: string[];
  /** Names with a `default` filter: may be given. */
  optional: string[];
}

export function placeholdersIn(...texts: Array<string | undefined>): Placeholders {
  const required = new Set<string>();
  const optional = new Set<string>();
  for (const text of texts) {
    for (const m of (text ?? '').matchAll(/\{\{\s*([A-Za-z_][\w.]*)\s*(\|[^}]*)?\}\}/g)) {
      const name = m[1]!;
      if (BUILT_IN_ROOTS.has(name.split('.')[0]!) || OWN_BUILT_INS.has(name)) continue;
      if (/\|\s*default\b/.test(m[2] ?? '')) optional.add(name);
      else required.add(name);
    }
  }
  for (const n of required) optional.delete(n);
  return { required: [...required].sort(), optional: [...optional].sort() };
}

/** What is wrong with a set of variables: missing required ones, and ones the assistant never uses. */
export function checkVariables(
  p: Placeholders,
  given: Record<string, unknown>,
): { missing: string[]; unknown: string[] } {
  const known = new Set([...p.required, ...p.optional]);
  return {
    missing: p.required.filter((n) => given[n] === undefined || given[n] === ''),
    unknown: Object.keys(given).filter((n) => !known.has(n)),
  };
}
