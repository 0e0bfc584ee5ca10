/**
 * Vapi's published OpenAPI spec (`spec/vapi-openapi.json`, its source and date in `spec/README.md`) as
 * JSON Schema that ajv compiles. Vapi validates with class-validator, so the spec needs these changes:
 * oneOf → anyOf (a value such as `nova-3` matches both an enum and a free string), enums deduplicated
 * (empty ones dropped, and none on an array itself), patterns without their slashes, no
 * nullable/discriminator, and an optional property also takes null (`@IsOptional()`). Used by the build
 * (`scripts/build-validators.mjs`, the validators `config` and `sync` check a bot config with) and by
 * the tests' fake Vapi.
 */

type Json = unknown;

export function ajvCompatible(node: Json, parent?: Record<string, unknown>): Json {
  if (Array.isArray(node)) return node.map((n) => ajvCompatible(n));
  if (!node || typeof node !== 'object') return node;
  const obj = node as Record<string, unknown>;
  // class-validator's placeholders: `type: object` on an enum of strings (BackoffPlan.type) and on
  // array items of any kind (BackoffPlan.excludedStatusCodes) mean "not checked here".
  if (obj.type === 'object' && Array.isArray(obj.enum) && obj.enum.every((e) => typeof e === 'string'))
    return ajvCompatible({ ...obj, type: 'string' }, parent);
  const out: Record<string, unknown> = {};
  const required = new Set(Array.isArray(obj.required) ? (obj.required as string[]) : []);
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'properties' && v && typeof v === 'object' && !Array.isArray(v)) {
      // @IsOptional() lets null through as well as a missing value (how a PATCH unsets a field).
      out.properties = Object.fromEntries(
        Object.entries(v).map(([name, schema]) => [
          name,
          required.has(name) ? ajvCompatible(schema) : { anyOf: [ajvCompatible(schema), { type: 'null' }] },
        ]),
      );
    } else if (
      k === 'items' &&
      v &&
      typeof v === 'object' &&
      (v as Record<string, unknown>).type === 'object' &&
      Object.keys(v).length === 1
    ) {
      out.items = {};
    } else if (k === 'nullable' || k === 'discriminator') {
      continue;
    } else if (k === 'oneOf') {
      out.anyOf = ajvCompatible(v);
    } else if (k === 'enum' && Array.isArray(v)) {
      const values = [...new Set(v)];
      if (values.length && obj.type !== 'array') out.enum = values;
    } else if (k === 'pattern' && typeof v === 'string' && v.startsWith('/') && v.lastIndexOf('/') > 0) {
      out.pattern = v.slice(1, v.lastIndexOf('/'));
    } else {
      out[k] = ajvCompatible(v, obj);
    }
  }
  return out;
}

/**
 * The ajv-ready schema of an operation's JSON request body (`post /assistant`), its `#/components/` refs
 * pointing at `componentsId#/components/…` (the components registered once under that `$id`).
 * @throws Error when the spec has no such body
 */
export function requestBodySchema(
  spec: { paths?: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: Json }> } }>> },
  method: string,
  specPath: string,
  componentsId = 'vapi',
): object {
  const schema = spec.paths?.[specPath]?.[method]?.requestBody?.content?.['application/json']?.schema;
  if (!schema) throw new Error(`no request body for ${method} ${specPath} in the spec`);
  return JSON.parse(
    JSON.stringify(ajvCompatible(schema)).replace(/"#\/components\//g, `"${componentsId}#/components/`),
  );
}
