import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../paths.js';
import { firstFew } from '../io.js';

/** An ajv error, as the standalone validators report them. */
interface SpecError {
  instancePath: string;
  keyword: string;
  message?: string;
  params?: Record<string, unknown>;
}
type Validate = ((value: unknown) => boolean) & { errors?: SpecError[] | null };

let validators: { assistant: Validate; tool: Validate } | undefined;

/**
 * The validators `npm run build` compiled from Vapi's spec (`scripts/build-validators.mjs` →
 * `dist/vapi/spec-validators.cjs`): loaded on first use (about 0.1 s), never by `--help`.
 * @throws Error when the build did not make them
 */
function load(): { assistant: Validate; tool: Validate } {
  if (validators) return validators;
  const file = path.join(packageRoot(), 'dist', 'vapi', 'spec-validators.cjs');
  if (!fs.existsSync(file)) throw new Error(`Vapi's request validators are missing at ${file}: run \`npm run build\`.`);
  validators = createRequire(import.meta.url)(file) as { assistant: Validate; tool: Validate };
  return validators;
}

/** `/model/fallbackModels/0` → `model.fallbackModels[0]`. */
function dotted(instancePath: string): string {
  return instancePath
    .split('/')
    .filter(Boolean)
    .map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i ? `.${p}` : p))
    .join('');
}

/**
 * The one error to show of an `anyOf` failure (Vapi's model, voice and transcriber are unions keyed by
 * `provider`): the deepest one, preferring a broken rule (a range, a type, a pattern) to a value not in
 * a list, and leaving out what only says that another branch's `provider` differs or that null is allowed.
 */
function bestError(errors: SpecError[]): SpecError | undefined {
  const rank = (e: SpecError) => (['enum', 'const'].includes(e.keyword) ? 1 : e.keyword === 'required' ? 2 : 0);
  const useful = errors.filter(
    (e) =>
      e.keyword !== 'anyOf' &&
      e.keyword !== 'oneOf' &&
      !(e.keyword === 'type' && e.params?.type === 'null') &&
      !(e.keyword === 'enum' && e.instancePath.endsWith('/provider')),
  );
  const depth = (e: SpecError) => e.instancePath.split('/').length;
  return [...(useful.length ? useful : errors)].sort((a, b) => depth(b) - depth(a) || rank(a) - rank(b))[0];
}

/**
 * What Vapi's own schema says is wrong with an assistant (spec `CreateAssistantDTO`, the body of
 * `POST /assistant`) or a tool (`POST /tool`, e.g. `CreateFunctionToolDTO`): `"maxDurationSeconds must
 * be >= 10"`, or undefined when it is valid.
 */
export function specProblem(kind: 'assistant' | 'tool', value: unknown): string | undefined {
  const validate = load()[kind];
  if (validate(value)) return undefined;
  const e = bestError(validate.errors ?? []);
  if (!e) return 'does not match the schema';
  const where = dotted(e.instancePath);
  const allowed = Array.isArray(e.params?.allowedValues)
    ? ` (${firstFew((e.params.allowedValues as unknown[]).map(String), 8)})`
    : '';
  return `${where || '(the whole object)'} ${e.message ?? 'is not valid'}${allowed}`;
}
