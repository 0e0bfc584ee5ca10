import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { isNode, LineCounter, parseDocument } from 'yaml';

/**
 * A test of the assistant (`receptionist/tests/*.yaml`, schema `schemas/assistant-test.schema.json`):
 * one conversation, scripted or simulated, and what must hold after it.
 */
export interface AssistantTest {
  name: string;
  description?: string;
  /** ISO 8601 with an offset: the clock of a local run. */
  at?: string;
  /** The call's `variableValues`. */
  variables?: Record<string, string>;
  /** The caller's number, E.164. */
  customerNumber?: string;
  conversation?: Turn[];
  simulate?: { instruction: string; checks?: Says[] };
  /** Tools that must not be called anywhere in the conversation. */
  never?: string[];
  store?: StoreExpectation[];
}

export type Turn = { caller: string } | { assistant: AssistantTurn };
export interface AssistantTurn {
  tools?: ToolCallExpectation[];
  says?: Says;
}
export interface ToolCallExpectation {
  name: string;
  /** The call as scripted: what the tool receives in a local run, and Vapi's mock of it. */
  arguments?: Record<string, string>;
  /** How the model's own arguments are judged in a run on Vapi; an argument not named: anything. */
  expect?: Record<string, Matcher>;
  /** What the tool must answer (a local run). */
  result?: TextMatcher;
  /** Values taken from the tool's answer for later turns (`{{name}}`): the first group of each regex. */
  capture?: Record<string, string>;
}
export type TextMatcher = { exact: string } | { regex: string };
export type Matcher = 'any' | TextMatcher;
export type Says = TextMatcher | { judge: string };
export interface StoreExpectation {
  collection: 'appointments' | 'ac_service_visits' | 'customers' | 'outbox';
  where?: Record<string, string | number | boolean>;
  count: number;
}

/** A test file that cannot be used: where (1-based line and column) and why. */
export class TestFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly problem: string,
  ) {
    super(`${file}:${line}:${column}: ${problem}`);
    this.name = 'TestFileError';
  }
}

const validators = new WeakMap<object, ValidateFunction>();

/**
 * Reads a test file: YAML, checked against the schema (given as parsed JSON, from `schemas/`).
 * @throws TestFileError at the line and column of the first problem (YAML syntax, or the schema's)
 */
export function readAssistantTest(text: string, file: string, schema: object): AssistantTest {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined) => lines.linePos(offset ?? 0);
  const syntax = doc.errors[0];
  if (syntax) {
    const { line, col } = at(syntax.pos[0]);
    throw new TestFileError(file, line, col, syntax.message.split('\n')[0]!);
  }
  let validate = validators.get(schema);
  if (!validate) {
    validate = new Ajv2020({ allErrors: true, strict: false, validateFormats: false }).compile(schema);
    validators.set(schema, validate);
  }
  const value: unknown = doc.toJS();
  if (validate(value)) return value as AssistantTest;
  const e = mostUseful(validate.errors ?? []);
  const path = e.instancePath
    .split('/')
    .slice(1)
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const node = path.length ? doc.getIn(path, true) : doc.contents;
  const { line, col } = at(isNode(node) ? node.range?.[0] : undefined);
  throw new TestFileError(file, line, col, explain(e));
}

/** Of ajv's errors the one a person can act on: the deepest, not a "must match one schema" above it. */
function mostUseful(errors: ErrorObject[]): ErrorObject {
  const specific = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf');
  const pool = specific.length ? specific : errors;
  return pool.reduce((a, b) => (b.instancePath.length > a.instancePath.length ? b : a), pool[0]!);
}

function explain(e: ErrorObject): string {
  const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : 'the test';
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `${where} needs "${String(p.missingProperty)}".`;
    case 'additionalProperties':
      return `${where} has "${String(p.additionalProperty)}", which a test does not take.`;
    case 'enum':
      return `${where} must be one of ${(p.allowedValues as unknown[]).map(String).join(', ')}.`;
    default:
      return `${where} ${e.message ?? 'does not fit the schema'}.`;
  }
}
