#!/usr/bin/env node
// Tiny on purpose: the compile cache (Node >= 22.1) makes the second start faster,
// and exit codes are decided only in main().
// `--version` alone is answered first, before anything else is set up or loaded (commander, every
// command's definition, the compile cache).
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  const { VERSION } = await import('../dist/version.js');
  process.stdout.write(`${VERSION}\n`);
  process.exit(0);
}
const { default: module } = await import('node:module');
module.enableCompileCache?.();
// node:sqlite (the embedded store) is stable in use but still flagged experimental on Node 22 and
// 24; its one-time warning would land in every command's stderr. Other warnings print as usual.
const defaults = process.listeners('warning');
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name === 'ExperimentalWarning' && /SQLite/i.test(w.message)) return;
  for (const l of defaults) l(w);
});
const { main } = await import('../dist/cli.js');
process.exitCode = await main(process.argv.slice(2));
// main() has closed what it opened; should anything still hold the process (a socket a forced
// `serve` stop left open), end it shortly after, without cutting off output being written.
setTimeout(() => process.exit(), 2_000).unref();
