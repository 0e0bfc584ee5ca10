import fs from 'node:fs';
import { UsageError } from '../../errors.js';
import { implement, type RenderContext } from '../shared/command.js';
import type { Context } from '../shared/context.js';
import { parseExposure } from '../shared/exposure.js';
import type { SimulationTransport } from '../../vapi/assistant-test-bodies.js';
import { runTest, type TestOptions, type TestSummary } from '../shared/assistant-tests/run.js';
import { junitXml, renderText, summaryJson, verdictError } from '../shared/assistant-tests/report.js';
import type { TestFlags } from './index.js';

// `receptionist test`: flags in, the shared runner (src/commands/shared/assistant-tests/), the
// summary out with the exit code.

const number = (flag: string, value: string, ok: (n: number) => boolean, hint: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || !ok(n)) throw new UsageError(`Invalid ${flag} "${value}".`, hint);
  return n;
};

/** @throws UsageError (bad numbers, flags that do not go together), AuthError (--tunnel without an ngrok token) */
export function parseTestOptions(flags: TestFlags, env: Context['env']): TestOptions {
  const repeat = number('--repeat', flags.repeat, (n) => Number.isInteger(n) && n >= 1 && n <= 100, 'Give 1 to 100.');
  const minPassRate = number('--min-pass-rate', flags.minPassRate, (n) => n > 0 && n <= 1, 'Give a share, e.g. 0.9.');
  const maxCost =
    flags.maxCost === undefined
      ? undefined
      : number('--max-cost', flags.maxCost, (n) => n >= 0, 'Give US dollars, e.g. 2.50.');
  const port = number('--port', flags.port, (n) => Number.isInteger(n) && n >= 0 && n < 65536, 'Give 0 to 65535.');
  const timeoutMs = number('--timeout', flags.timeout, (n) => n > 0 && n <= 86_400, 'Give seconds, e.g. 600.') * 1000;
  if (flags.local) {
    const vapiOnly = (['candidate', 'assistant', 'maxCost', 'publicUrl', 'tunnel'] as const).find((k) => flags[k]);
    if (vapiOnly)
      throw new UsageError(
        `--${vapiOnly.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is for a run on Vapi, not --local.`,
      );
  }
  if (flags.candidate && flags.assistant)
    throw new UsageError('--candidate tests the stored config; --assistant an assistant on Vapi: give one.');
  const exposure = parseExposure({ ...flags, updateAssistant: false }, { env });
  return {
    files: flags.files ?? [],
    dir: flags.dir,
    mode: flags.local ? 'local' : 'vapi',
    candidate: flags.candidate === true,
    assistant: flags.assistant,
    realStore: flags.store === true,
    filter: flags.filter,
    repeat,
    minPassRate,
    maxCost,
    transport: flags.transport as SimulationTransport,
    publicUrl: exposure.publicUrl,
    tunnel: exposure.tunnel,
    port,
    timeoutMs,
    junit: flags.junit,
  };
}

/**
 * The summary (a line per test and the totals, or JSON), the JUnit file; the exit code by the
 * worst outcome: 9 a run could not be made, 2 a test file is wrong, 1 a test failed.
 * @throws UntestedError, UsageError, PartialFailureError (after printing)
 */
export function renderTest(summary: TestSummary, opts: TestOptions, out: RenderContext): void {
  if (opts.junit) fs.writeFileSync(opts.junit, junitXml(summary));
  if (out.globals.json) out.io.line(JSON.stringify(summaryJson(summary), null, 2));
  else renderText(summary, out.io);
  const error = verdictError(summary);
  if (error) throw error;
}

export const test = implement({ parse: parseTestOptions, run: runTest, render: renderTest });
