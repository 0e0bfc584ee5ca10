#!/usr/bin/env node
// Tiny on purpose: the compile cache (Node >= 22.1) makes the second start faster,
// and exit codes are decided only in main().
import module from 'node:module';

module.enableCompileCache?.();
const { main } = await import('../dist/cli.js');
process.exitCode = await main(process.argv.slice(2));
