import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { BotConfig } from '../../domain/clinic.js';

/**
 * A tool call's arguments checked against the tool's own `function.parameters` (JSON Schema, as
 * `sync` sends them to Vapi from templates/bot-config/tools.json), so that the handlers read
 * arguments the schema promises instead of checking each by hand: required ones present, each of
 * its declared type. Numbers are read as strings (speech-to-text gives digits; Vapi's model may
 * send `2` for "2"), and a null as absent.
 */

const ajv = new Ajv({ allErrors: false, strict: false, coerceTypes: true, useDefaults: true });

/** Validators by tool name, per config's tools array (a config change brings new ones). */
const compiled = new WeakMap<BotConfig['tools'], Map<string, ValidateFunction | null>>();

function validatorFor(tools: BotConfig['tools'], name: string): ValidateFunction | null {
  let byName = compiled.get(tools);
  if (!byName) compiled.set(tools, (byName = new Map()));
  if (!byName.has(name)) {
    const schema = tools.find((t) => t.function.name === name)?.function.parameters;
    byName.set(name, schema && typeof schema === 'object' ? ajv.compile(schema) : null);
  }
  return byName.get(name)!;
}

/** The schema's `description` of one argument, for the question back to the caller. */
function describe(tools: BotConfig['tools'], name: string, key: string): string | undefined {
  const params = tools.find((t) => t.function.name === name)?.function.parameters as
    { properties?: Record<string, { description?: string }> } | undefined;
  return params?.properties?.[key]?.description;
}

/**
 * What is wrong with `args` for tool `name` (the message the tool call answers with, for the model
 * to ask the caller), or undefined when they fit its schema. `args` is changed in place where read
 * as the schema says (a number as a string, a null dropped). A tool without a schema takes anything.
 */
export function argumentProblem(
  tools: BotConfig['tools'],
  name: string,
  args: Record<string, unknown>,
): string | undefined {
  const validate = validatorFor(tools, name);
  if (!validate) return undefined;
  for (const [k, v] of Object.entries(args)) if (v === null) delete args[k];
  if (validate(args)) return undefined;
  return explain(validate.errors?.[0], args, (key) => describe(tools, name, key));
}

function explain(
  e: ErrorObject | undefined,
  args: Record<string, unknown>,
  describe: (key: string) => string | undefined,
): string {
  if (!e) return 'The arguments do not fit the tool.';
  if (e.keyword === 'required') {
    const key = String((e.params as { missingProperty: string }).missingProperty);
    const what = describe(key);
    return `Missing ${key}: ask the caller${what ? ` (${what})` : ''}.`;
  }
  const key = e.instancePath.replace(/^\//, '').replace(/\//g, '.') || 'the arguments';
  if (e.keyword === 'type') {
    const value = e.instancePath
      .split('/')
      .slice(1)
      .reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], args);
    const got = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
    return `Argument ${key} must be a ${String((e.params as { type: string }).type)}, got ${got}.`;
  }
  return `Argument ${key} ${e.message ?? 'does not fit the tool'}.`;
}
