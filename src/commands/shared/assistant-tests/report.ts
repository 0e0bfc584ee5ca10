import { create } from 'xmlbuilder2';
import type { IO } from '../../../io.js';
import { PartialFailureError, UntestedError, UsageError } from '../../../errors.js';
import type { TestResult, TestSummary } from './run.js';

/**
 * How `receptionist test` reports: a line per test as it ends (on a terminal), a summary, `--json`,
 * and JUnit XML (`--junit`, the schema CI systems read: testsuite/testcase/failure/error/skipped).
 */

const rate = (r: TestResult) => (r.runs.length ? r.runs.filter((x) => x.passed).length / r.runs.length : 0);

function verdict(r: TestResult): 'passed' | 'failed' | 'error' | 'untested' | 'skipped' {
  return r.error ? 'error' : r.untested ? 'untested' : r.skipped ? 'skipped' : r.passed ? 'passed' : 'failed';
}

/** `✓ Book a cardiology slot (3/3)` on stderr, on a terminal only. */
export function progressLine(r: TestResult, io: IO): void {
  if (!io.isErrTTY) return;
  const mark = { passed: '✓', failed: '✗', error: '!', untested: '?', skipped: '-' }[verdict(r)];
  const runs = r.runs.length > 1 ? ` (${r.runs.filter((x) => x.passed).length}/${r.runs.length})` : '';
  io.error(`${mark} ${r.name ?? r.file}${runs}`);
}

/** Each test with its checks (failed and skipped ones with why), then the totals, on stdout. */
export function renderText(s: TestSummary, io: IO): void {
  for (const r of s.results) {
    const v = verdict(r);
    const runs = r.runs.length > 1 ? ` — ${r.runs.filter((x) => x.passed).length}/${r.runs.length} runs passed` : '';
    io.line(`${v.toUpperCase().padEnd(8)} ${r.name ?? r.file}${runs}`);
    if (r.error) io.line(`         ${r.error}`);
    if (r.untested) io.line(`         not run: ${r.untested}`);
    if (r.skipped) io.line(`         not run: ${r.skipped}`);
    const last = r.runs.find((x) => !x.passed) ?? r.runs[0];
    const l = last?.latency;
    if (l?.avgTurn !== undefined)
      io.line(
        `  latency: ${Math.round(l.avgTurn)} ms a turn on average${l.avgModel !== undefined ? ` (model ${Math.round(l.avgModel)} ms)` : ''} over ${l.turnCount} turns`,
      );
    for (const c of last?.checks ?? []) {
      const mark = c.status === 'passed' ? '✓' : c.status === 'failed' ? '✗' : '-';
      const why = c.status === 'passed' ? '' : c.detail ? `: ${c.detail}` : '';
      io.line(`  ${mark} ${c.what}${c.status === 'skipped' ? ' (not checked)' : ''}${why}`);
    }
  }
  const t = totals(s);
  const cost = s.mode === 'vapi' ? `; cost $${s.cost.toFixed(2)} (estimated $${(s.estimate ?? 0).toFixed(2)})` : '';
  io.line(
    `\n${t.passed} passed, ${t.failed} failed${t.errors ? `, ${t.errors} not usable` : ''}${t.untested ? `, ${t.untested} not run` : ''}${t.skipped ? `, ${t.skipped} skipped` : ''}${cost}`,
  );
}

function totals(s: TestSummary) {
  const count = (v: ReturnType<typeof verdict>) => s.results.filter((r) => verdict(r) === v).length;
  return {
    passed: count('passed'),
    failed: count('failed'),
    errors: count('error'),
    untested: count('untested'),
    skipped: count('skipped'),
  };
}

/** `--json`: the totals and every test with its runs and checks. */
export function summaryJson(s: TestSummary) {
  return {
    mode: s.mode,
    ...(s.target ? { target: s.target } : {}),
    ...totals(s),
    cost: Math.round(s.cost * 10_000) / 10_000,
    ...(s.estimate !== undefined ? { estimate: s.estimate } : {}),
    minPassRate: s.minPassRate,
    tests: s.results.map((r) => ({
      file: r.file,
      name: r.name,
      result: verdict(r),
      ...(r.error ? { error: r.error } : {}),
      ...(r.untested ? { untested: r.untested } : {}),
      ...(r.skipped ? { skipped: r.skipped } : {}),
      passRate: rate(r),
      runs: r.runs,
    })),
  };
}

/**
 * JUnit XML: one testsuite, a testcase per test (per file for one that could not be used): a
 * `failure` with the failed checks, an `error` for a file that could not be used or a run that could
 * not be made; skipped checks are listed in `system-out`, never as passed.
 */
export function junitXml(s: TestSummary): string {
  const t = totals(s);
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele('testsuites', {
    name: 'receptionist test',
    tests: s.results.length,
    failures: t.failed,
    errors: t.errors + t.untested,
  });
  const suite = root.ele('testsuite', {
    name: `assistant (${s.mode})`,
    tests: s.results.length,
    failures: t.failed,
    errors: t.errors + t.untested,
    skipped: t.skipped,
  });
  for (const r of s.results) {
    const tc = suite.ele('testcase', { name: r.name ?? r.file, classname: r.file });
    const v = verdict(r);
    if (v === 'error') tc.ele('error', { message: r.error, type: 'test-file' });
    else if (v === 'untested') tc.ele('error', { message: r.untested, type: 'not-run' });
    else if (v === 'skipped') tc.ele('skipped', { message: r.skipped });
    else if (v === 'failed') {
      const failedChecks = r.runs.flatMap((run, i) =>
        run.checks
          .filter((c) => c.status === 'failed')
          .map((c) => `${r.runs.length > 1 ? `run ${i + 1}: ` : ''}${c.what}${c.detail ? `: ${c.detail}` : ''}`),
      );
      tc.ele('failure', {
        message: `${r.runs.filter((x) => x.passed).length} of ${r.runs.length} runs passed (needed ${Math.round(s.minPassRate * 100)}%)`,
        type: 'assertion',
      }).txt(failedChecks.join('\n'));
    }
    const skipped = (r.runs[0]?.checks ?? []).filter((c) => c.status === 'skipped');
    if (skipped.length)
      tc.ele('system-out').txt(
        skipped.map((c) => `not checked: ${c.what}${c.detail ? ` (${c.detail})` : ''}`).join('\n'),
      );
  }
  return root.end({ prettyPrint: true });
}

/**
 * The error a summary ends with, by its worst outcome, or undefined when every test passed:
 * UntestedError (exit 9) a run could not be made, UsageError (exit 2) a test file is wrong,
 * PartialFailureError (exit 1) a test failed.
 */
export function verdictError(summary: TestSummary): Error | undefined {
  const untested = summary.results.filter((r) => r.untested);
  const errors = summary.results.filter((r) => r.error);
  const failed = summary.results.filter((r) => !r.passed && !r.error && !r.untested && !r.skipped);
  if (untested.length)
    return new UntestedError(
      `${untested.length} test${untested.length === 1 ? '' : 's'} could not be run on Vapi.`,
      'A run that timed out may still finish there (raise --timeout next time); a 402 is about billing, not the assistant.',
    );
  if (errors.length)
    return new UsageError(`${errors.length} test file${errors.length === 1 ? '' : 's'} could not be used.`);
  if (failed.length) return new PartialFailureError(`${failed.length} of ${summary.results.length} tests failed.`);
  return undefined;
}
