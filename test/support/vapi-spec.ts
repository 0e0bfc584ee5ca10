import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import standaloneModule from 'ajv/dist/standalone/index.js';
import { packageRoot } from '../../src/paths.js';
import { ajvCompatible, requestBodySchema } from '../../src/vapi/spec-schema.js';

// ajv is CommonJS: under Node's ESM its default export may arrive as the module object.
type StandaloneCode = (ajv: Ajv, refs: Record<string, string>) => string;
const standaloneCode: StandaloneCode =
  (standaloneModule as unknown as { default?: StandaloneCode }).default ??
  (standaloneModule as unknown as StandaloneCode);

/**
 * Validators for Vapi request bodies, compiled from Vapi's published OpenAPI spec
 * (`spec/vapi-openapi.json`, its source and date in `spec/README.md`), made ajv-ready by
 * `src/vapi/spec-schema.ts`. Components are registered once under `$id: vapi`.
 */
export const SPEC_PATH = path.resolve(packageRoot(), 'spec', 'vapi-openapi.json');

let spec: any;
let compiler: Ajv | undefined;
const validators = new Map<string, ValidateFunction>();

/** The parsed spec (3.2 MB: parsed once per process, only by what needs more than the validators). */
function loadSpec(): any {
  if (spec) return spec;
  if (!fs.existsSync(SPEC_PATH)) throw new Error(`Vapi's OpenAPI spec is missing at ${SPEC_PATH} (see spec/README.md)`);
  spec = JSON.parse(fs.readFileSync(SPEC_PATH, 'utf8'));
  return spec;
}

/** ajv with the spec's components registered under `$id: vapi` (`code.source` so it can also write standalone code). */
function loadCompiler(): Ajv {
  if (compiler) return compiler;
  compiler = new Ajv({
    strict: false,
    validateSchema: false,
    validateFormats: false,
    allErrors: false,
    code: { source: true },
  });
  compiler.addSchema({ $id: 'vapi', components: ajvCompatible(loadSpec().components) });
  return compiler;
}

/** The schema a validator key names: `post /call` (a request body) or `#CreateWebhookCredentialDTO` (a component). */
function schemaOf(key: string): object {
  if (key.startsWith('#')) {
    const name = key.slice(1);
    if (!loadSpec().components.schemas[name]) throw new Error(`no schema ${name} in the spec`);
    return { $ref: `vapi#/components/schemas/${name}` };
  }
  const [method, specPath] = key.split(' ') as [string, string];
  return requestBodySchema(loadSpec(), method, specPath);
}

/**
 * The validators the fake Vapi and the message tests use, compiled once per test run (vitest's
 * `globalSetup`, `test/support/global-setup.ts`) into one standalone module, so that no test waits
 * on ajv: compiling `POST /call` alone takes 1.5 s on an idle core and far longer on a busy one,
 * which a client's timeout must never see.
 */
export function precompiledKeys(): string[] {
  const S = loadSpec().components.schemas as Record<string, any>;
  const messages = (S.ServerMessage.properties.message.oneOf as Array<{ $ref: string }>).map(
    (r) => `#${r.$ref.split('/').pop()}`,
  );
  const replies = Object.keys(S)
    .filter((n) => n.startsWith('ServerMessageResponse'))
    .map((n) => `#${n}`);
  return [
    'post /assistant',
    'patch /assistant/{id}',
    'post /tool',
    'patch /tool/{id}',
    'post /call',
    'patch /phone-number/{id}',
    'post /chat',
    'post /analytics',
    'post /eval/run',
    'post /eval/simulation/run',
    '#CreateWebhookCredentialDTO',
    '#UpdateWebhookCredentialDTO',
    ...messages,
    ...replies,
  ];
}

/**
 * Where the standalone module for this spec and this file lives: `node_modules/.cache/receptionist/`,
 * named by a hash of both and of ajv's version, so a changed spec, `fix()` or ajv compiles anew.
 */
export function precompiledPath(): string {
  const hash = createHash('sha256')
    .update(fs.readFileSync(SPEC_PATH))
    .update(fs.readFileSync(fileURLToPath(import.meta.url)))
    .update(fs.readFileSync(createRequire(import.meta.url).resolve('ajv/package.json')))
    .digest('hex')
    .slice(0, 16);
  return path.join(packageRoot(), 'node_modules', '.cache', 'receptionist', `vapi-validators-${hash}.cjs`);
}

/** Compiles every {@link precompiledKeys} validator and writes the standalone module (atomically). Returns its path. */
export function writePrecompiled(): string {
  const file = precompiledPath();
  if (fs.existsSync(file)) return file;
  const ajv = loadCompiler();
  const keys = precompiledKeys();
  // Registered under plain ids: a key such as `post /call` would be read as a base URI for the refs.
  const names = Object.fromEntries(keys.map((k, i) => [`v${i}`, k]));
  for (const [id, k] of Object.entries(names)) if (!ajv.getSchema(id)) ajv.addSchema(schemaOf(k), id);
  const code = `${standaloneCode(ajv, Object.fromEntries(Object.keys(names).map((id) => [id, id])))}\nexports.keys = ${JSON.stringify(names)};\n`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, code);
  fs.renameSync(tmp, file);
  return file;
}

let precompiled: Map<string, ValidateFunction> | undefined;
/**
 * Loads the validators the global setup compiled (a no-op when it did not run). The fake Vapi calls it
 * before it listens, so no request waits on loading either.
 */
export function loadPrecompiled(): Map<string, ValidateFunction> {
  if (precompiled) return precompiled;
  precompiled = new Map();
  const file = precompiledPath();
  if (!fs.existsSync(file)) return precompiled;
  const mod = createRequire(import.meta.url)(file) as Record<string, ValidateFunction> & {
    keys: Record<string, string>;
  };
  for (const [name, key] of Object.entries(mod.keys)) precompiled.set(key, mod[name]!);
  return precompiled;
}

function validator(key: string): ValidateFunction {
  const known = validators.get(key) ?? loadPrecompiled().get(key);
  if (known) return known;
  // Not precompiled (a schema only one test reads, or no globalSetup ran): compiled here, once per process.
  const ajv = loadCompiler();
  const v = ajv.compile(schemaOf(key));
  validators.set(key, v);
  return v;
}

/** The validator of a request body, e.g. `requestValidator('post', '/assistant')`. Compiled once per run. */
export function requestValidator(method: string, specPath: string): ValidateFunction {
  return validator(`${method} ${specPath}`);
}

/**
 * What is wrong with a request's query string by the spec's `in: query` parameters of `method specPath`
 * (unknown names, numbers out of range, dates that do not parse), or undefined when nothing is.
 */
export function queryProblems(method: string, specPath: string, query: URLSearchParams): string | undefined {
  const spec = loadSpec();
  const params = ((spec.paths[specPath]?.[method]?.parameters ?? []) as any[]).filter((p) => p.in === 'query');
  if (!params.length) throw new Error(`no query parameters for ${method} ${specPath} in the spec`);
  for (const [name, value] of query) {
    const p = params.find((x) => x.name === name);
    if (!p) return `property ${name} should not exist`;
    const sc = p.schema ?? {};
    if (sc.type === 'number') {
      const n = Number(value);
      if (
        !Number.isFinite(n) ||
        (sc.minimum !== undefined && n < sc.minimum) ||
        (sc.maximum !== undefined && n > sc.maximum)
      )
        return `${name} must not be greater than ${sc.maximum} or less than ${sc.minimum}`;
    }
    if (sc.format === 'date-time' && Number.isNaN(Date.parse(value)))
      return `${name} must be a valid ISO 8601 date string`;
  }
  return undefined;
}

/** The validator of one component schema, e.g. `schemaValidator('CreateWebhookCredentialDTO')`. Compiled once per run. */
export function schemaValidator(name: string): ValidateFunction {
  return validator(`#${name}`);
}

/** Every `message.type` of the spec's `ServerMessage` union and `serverMessages` enum, with the schema of each. */
export function serverMessageTypes(): Array<{ type: string; schema?: string }> {
  const spec = loadSpec();
  const S = spec.components.schemas;
  const out = new Map<string, string | undefined>();
  for (const ref of S.ServerMessage.properties.message.oneOf as Array<{ $ref: string }>) {
    const name = ref.$ref.split('/').pop()!;
    for (const t of S[name].properties.type.enum as string[]) out.set(t, name);
  }
  for (const t of S.CreateAssistantDTO.properties.serverMessages.items.enum as string[])
    if (!out.has(t)) out.set(t, undefined);
  return [...out].map(([type, schema]) => ({ type, schema }));
}

/** Short text of the first errors, for 400 bodies and test messages. */
export function describeErrors(v: ValidateFunction): string {
  return (v.errors ?? [])
    .slice(0, 3)
    .map((e) => `${e.instancePath || '/'} ${e.message}`)
    .join('; ');
}

/**
 * The smallest value a component schema accepts: every required property filled with the first
 * enum value, `"x"`, `1`, `false`, `[]` or a nested minimal object (first branch of a oneOf/anyOf).
 * For building messages of every type; check the result with `schemaValidator`.
 */
export function minimalInstance(name: string): Record<string, unknown> {
  const spec = loadSpec();
  const S = spec.components.schemas as Record<string, any>;
  const build = (schema: any, depth: number): unknown => {
    if (!schema || depth > 12) return {};
    if (schema.$ref) return build(S[schema.$ref.split('/').pop()], depth + 1);
    if (schema.allOf) return Object.assign({}, ...schema.allOf.map((s: any) => build(s, depth + 1)));
    const branches = schema.oneOf ?? schema.anyOf;
    if (branches) return build(branches[0], depth + 1);
    if (schema.enum) return schema.enum[0];
    switch (schema.type) {
      case 'string':
        return 'x'.repeat(Math.max(1, schema.minLength ?? 1));
      case 'number':
      case 'integer':
        return schema.minimum ?? 1;
      case 'boolean':
        return false;
      case 'array':
        return schema.minItems ? [build(schema.items, depth + 1)] : [];
      default: {
        const out: Record<string, unknown> = {};
        for (const k of schema.required ?? []) out[k] = build(schema.properties?.[k], depth + 1);
        return out;
      }
    }
  };
  return build(S[name], 0) as Record<string, unknown>;
}
