import fs from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { packageRoot } from '../../src/paths.js';

/**
 * Validators for Vapi request bodies, compiled from Vapi's published OpenAPI spec
 * (`spec/vapi-openapi.json`, its source and date in `spec/README.md`). Vapi validates with
 * class-validator, so the spec needs these changes to compile under ajv: oneOf → anyOf,
 * enums deduplicated (empty ones dropped, and none on an array itself), patterns without
 * their slashes, no nullable/discriminator. Components are registered once under `$id: vapi`.
 */
export const SPEC_PATH = path.resolve(packageRoot(), 'spec', 'vapi-openapi.json');

type Json = unknown;

function fix(node: Json, parent?: Record<string, unknown>): Json {
  if (Array.isArray(node)) return node.map((n) => fix(n));
  if (!node || typeof node !== 'object') return node;
  const obj = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'properties' && v && typeof v === 'object' && !Array.isArray(v)) {
      out.properties = Object.fromEntries(Object.entries(v).map(([name, schema]) => [name, fix(schema)]));
    } else if (k === 'nullable' || k === 'discriminator') {
      continue;
    } else if (k === 'oneOf') {
      out.anyOf = fix(v);
    } else if (k === 'enum' && Array.isArray(v)) {
      const values = [...new Set(v)];
      if (values.length && obj.type !== 'array') out.enum = values;
    } else if (k === 'pattern' && typeof v === 'string' && v.startsWith('/') && v.lastIndexOf('/') > 0) {
      out.pattern = v.slice(1, v.lastIndexOf('/'));
    } else {
      out[k] = fix(v, obj);
    }
  }
  void parent;
  return out;
}

let cached: { spec: any; ajv: Ajv; validators: Map<string, ValidateFunction> } | undefined;

function load() {
  if (cached) return cached;
  if (!fs.existsSync(SPEC_PATH)) throw new Error(`Vapi's OpenAPI spec is missing at ${SPEC_PATH} (shared/ must sit beside the repository)`);
  const spec = JSON.parse(fs.readFileSync(SPEC_PATH, 'utf8'));
  const ajv = new Ajv({ strict: false, validateSchema: false, validateFormats: false, allErrors: false });
  ajv.addSchema({ $id: 'vapi', components: fix(spec.components) });
  cached = { spec, ajv, validators: new Map() };
  return cached;
}

/** The validator of a request body, e.g. `requestValidator('post', '/assistant')`. Compiled once per process. */
export function requestValidator(method: string, specPath: string): ValidateFunction {
  const { spec, ajv, validators } = load();
  const key = `${method} ${specPath}`;
  let v = validators.get(key);
  if (!v) {
    const schema = spec.paths[specPath]?.[method]?.requestBody?.content?.['application/json']?.schema;
    if (!schema) throw new Error(`no request body for ${key} in the spec`);
    v = ajv.compile(JSON.parse(JSON.stringify(fix(schema)).replace(/"#\/components\//g, '"vapi#/components/')));
    validators.set(key, v);
  }
  return v;
}

/** Short text of the first errors, for 400 bodies and test messages. */
export function describeErrors(v: ValidateFunction): string {
  return (v.errors ?? []).slice(0, 3).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
}
