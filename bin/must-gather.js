#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';

// The heap sized for logs streaming through (src/_util/v8-flags.ts says which flags and what they save), set
// at run time so it works wherever the shebang cannot carry flags.
const { STREAMING_V8_FLAGS } = await import('../dist/_util/v8-flags.js');
for (const flag of STREAMING_V8_FLAGS) setFlagsFromString(flag);

const { runCli } = await import('../dist/cli/main.js');
process.exitCode = await runCli(process.argv.slice(2));
