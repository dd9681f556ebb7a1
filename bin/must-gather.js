#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';

// Keep V8's young generation at its starting size (1-2 MB per semi-space) instead of letting it grow to
// 16 MB (node 20) or 64 MB (node 24) while logs stream through: peak RSS on a 100 MB log drops from
// ~100 MB to ~83 MB for ~0.5 s more CPU (bench/RESULTS.md). A flag set at run time, so it works wherever
// the shebang cannot carry one.
setFlagsFromString('--semi-space-growth-factor=1');

const { runCli } = await import('../dist/cli/main.js');
process.exitCode = await runCli(process.argv.slice(2));
