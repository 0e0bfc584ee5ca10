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
/** `audio`: only the audio can show it (a simulation over chat skips it). */
export type Says = (TextMatcher | { judge: string }) & { audio?: boolean };
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

/** One expectation of a run: checked (ok or not), or not checked in this kind of run and why. */
export interface TestCheck {
  what: string;
  status: 'passed' | 'failed' | 'skipped';
  detail?: string;
  /** false: informational (Vapi's `required: false`), never decides the test. @default true */
  required?: boolean;
}

/** One run of one test: its checks and what it cost. */
export interface TestRun {
  name: string;
  /** Every required checked expectation held, and at least one required one was checked. */
  passed: boolean;
  checks: TestCheck[];
  /** USD, as Vapi reported it (absent for a local run). */
  cost?: number;
  /** A simulated call's latencies as Vapi measured them (spec `LatencyMetrics`: turnCount, avgTurn, avgModel, … in ms). */
  latency?: Record<string, number>;
}

/**
 * Whether checks make a passed run: at least one required check ran and every required check that
 * ran held. A skipped check is never counted as passed, so a run whose checks were all skipped fails.
 */
export function passedBy(checks: readonly TestCheck[]): boolean {
  const ran = checks.filter((c) => c.required !== false && c.status !== 'skipped');
  return ran.length > 0 && ran.every((c) => c.status === 'passed');
}

/** A test's regular expression as JavaScript's; `(?i)` at the start ignores case. */
export function testRegex(pattern: string): RegExp {
  return pattern.startsWith('(?i)') ? new RegExp(pattern.slice(4), 'i') : new RegExp(pattern);
}

/** `text` with every character a regular expression gives a meaning to (and `/`) escaped. */
export const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** `{{name}}` in `text` filled from `captured` (left as it is when nothing was captured). */
export function fillCaptured(text: string, captured: Readonly<Record<string, string>>): string {
  return text.replace(/\{\{(\w+)\}\}/g, (m, name: string) => captured[name] ?? m);
}

/** A matcher or a `says` in words: `regex "…"`, `exact "…"`, `(judged: …)`. */
export function describeMatcher(m: TextMatcher | Says): string {
  if ('judge' in m) return `(judged: ${m.judge})`;
  return 'exact' in m ? `exact ${JSON.stringify(m.exact)}` : `regex ${JSON.stringify(m.regex)}`;
}

/** Vapi's built-in tools: the model calls them, serve never sees them. */
export const VAPI_TOOLS: ReadonlySet<string> = new Set(['transferCall', 'endCall']);

const validators = new WeakMap<object, ValidateFunction>();

/**
 * Reads a test file: YAML, checked against the schema (given as parsed JSON, from `schemas/`) and,
 * with `opts.tools` (the bot config's function tool names), for tools the assistant does not have.
 * @throws TestFileError at the line and column of the first problem (YAML syntax, the schema's, an unknown tool)
 */
export function readAssistantTest(
  text: string,
  file: string,
  schema: object,
  opts: { tools?: readonly string[] } = {},
): AssistantTest {
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
  const locate = (path: Array<string | number>) => {
    const node = path.length ? doc.getIn(path, true) : doc.contents;
    return at(isNode(node) ? node.range?.[0] : undefined);
  };
  if (!validate(value)) {
    const e = mostUseful(validate.errors ?? []);
    const path = e.instancePath
      .split('/')
      .slice(1)
      .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    const { line, col } = locate(path);
    throw new TestFileError(file, line, col, explain(e));
  }
  const test = value as AssistantTest;
  if (opts.tools) {
    const unknown = toolNamesOf(test).find((t) => !VAPI_TOOLS.has(t.name) && !opts.tools!.includes(t.name));
    if (unknown) {
      const { line, col } = locate(unknown.path);
      throw new TestFileError(
        file,
        line,
        col,
        `"${unknown.name}" is not a tool of the assistant (${[...opts.tools, ...VAPI_TOOLS].join(', ')}).`,
      );
    }
  }
  return test;
}

/** Every tool a test names, with where in the file. */
function toolNamesOf(test: AssistantTest): Array<{ name: string; path: Array<string | number> }> {
  const out: Array<{ name: string; path: Array<string | number> }> = [];
  (test.conversation ?? []).forEach((turn, i) => {
    if ('assistant' in turn)
      (turn.assistant.tools ?? []).forEach((t, j) =>
        out.push({ name: t.name, path: ['conversation', i, 'assistant', 'tools', j, 'name'] }),
      );
  });
  (test.never ?? []).forEach((name, i) => out.push({ name, path: ['never', i] }));
  return out;
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
