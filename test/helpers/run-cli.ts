import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/main.js';

export const BIN = fileURLToPath(new URL('../../bin/must-gather.js', import.meta.url));

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Spawn the built `must-gather` binary as a user would, and collect what it prints. */
export function runBin(args: readonly string[], options: { env?: NodeJS.ProcessEnv; onSpawn?: (pid: number) => void } = {}): Promise<CliRun> {
  return runCommand(process.execPath, [BIN, ...args], options.env ?? { ...process.env, NO_COLOR: '1' }, options.onSpawn);
}

/** Spawn `command` (stdin closed) and collect its exit and what it prints. */
export function runCommand(command: string, args: readonly string[], env: NodeJS.ProcessEnv, onSpawn?: (pid: number) => void): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    if (child.pid !== undefined) onSpawn?.(child.pid);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/**
 * Spawn the built binary with its stdout (and, with `stderrToo`, its stderr: `2>&1 | head`) a pipe whose
 * reader is already gone, as after `| head -1` has read its line and exited. The binary starts only once
 * the read end is closed (a shell waits for a line on stdin, then execs node), so its first write to that
 * pipe meets EPIPE every time, whatever the timing.
 */
export function runBinIntoClosedPipe(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; stderrToo?: boolean } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const script = `read go && exec "$0" "$@"${options.stderrToo ? ' 2>&1' : ''}`;
    const child = spawn('sh', ['-c', script, process.execPath, BIN, ...args], {
      env: options.env ?? { ...process.env, NO_COLOR: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.stdout.destroy();
    child.stdin.end('go\n');
    child.on('close', (code, signal) => resolve({ code, signal, stdout: '', stderr }));
  });
}

/** Run the CLI in this process, as `runCli` lets tests: no engine on PATH unless `env` gives one. */
export async function runCliInProcess(argv: string[], env: NodeJS.ProcessEnv = { PATH: '/nonexistent' }): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: (t: string) => (stdout += t),
    stderr: (t: string) => (stderr += t),
    env,
    color: false,
    signal: new AbortController().signal,
  });
  return { code, stdout, stderr };
}
