import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'vitest';
import type { RuntimeName, TransportName } from '../../src/runtime/types.js';

export const ENGINES: readonly RuntimeName[] = ['podman', 'docker'];
export const TEST_IMAGE = process.env.MUST_GATHER_TEST_IMAGE ?? 'localhost/must-gather-busybox:latest';

/** Run an engine command; throws with its stderr when it fails. */
export function engine(name: RuntimeName, args: readonly string[]): string {
  const result = spawnSync(name, args, { encoding: 'utf8', timeout: 120_000 });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${name} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

/** The Engine API socket `scripts/setup-engines.sh` starts for each engine. */
export const API_SOCKETS: Readonly<Record<RuntimeName, string>> = {
  podman: '/run/podman/podman.sock',
  docker: '/var/run/docker.sock',
};

/** Why an engine cannot be used for tests. `skippable`: a prerequisite is missing (the engine, busybox-static). */
export interface EngineProblem {
  readonly message: string;
  readonly skippable: boolean;
}

/** The one recipe for the test image, shared with scripts/setup-engines.sh. */
const IMPORT_SCRIPT = fileURLToPath(new URL('../../scripts/import-test-image.sh', import.meta.url));
/** import-test-image.sh's exit code when there is no usable static busybox. */
const NO_BUSYBOX = 3;

/** Why `name` does not answer (over `transport`), or null when it does. */
function engineAnswers(name: RuntimeName, transport: TransportName = 'cli'): EngineProblem | null {
  if (transport === 'api') {
    const url = `unix://${API_SOCKETS[name]}`;
    const args = name === 'podman' ? ['--url', url, 'version'] : ['-H', url, 'version'];
    const answer = spawnSync(name, args, { encoding: 'utf8', timeout: 30_000 });
    if (answer.status !== 0) return { message: `${name} API at ${url} does not answer (run: npm run setup-engines)`, skippable: true };
  }
  const info = spawnSync(name, ['info'], { encoding: 'utf8', timeout: 30_000 });
  if (info.error) return { message: `${name}: ${info.error.message}`, skippable: true };
  if (info.status !== 0) return { message: `${name} info exited ${info.status}: ${info.stderr.trim().split('\n').pop()}`, skippable: true };
  return null;
}

/**
 * Make sure an engine that answers has `image`, importing it (scripts/import-test-image.sh, about a second)
 * when it is missing; concurrent callers in other workers wait on the script's lock. Null when the image is
 * there; otherwise why not: no busybox-static is `skippable` (like a missing engine), a failed import is not.
 */
export function ensureTestImage(name: RuntimeName, image: string = TEST_IMAGE, env: NodeJS.ProcessEnv = process.env): EngineProblem | null {
  const inspect = spawnSync(name, ['image', 'inspect', image], { stdio: 'ignore', timeout: 30_000 });
  if (inspect.status === 0) return null;
  const run = spawnSync('bash', [IMPORT_SCRIPT, name, image], { encoding: 'utf8', env, timeout: 360_000 });
  if (run.status === 0) {
    process.stderr.write(run.stderr);
    return null;
  }
  const why = run.error?.message ?? (run.stderr.trim() || `exited ${run.status ?? run.signal}`);
  if (run.status === NO_BUSYBOX) return { message: why, skippable: true };
  return { message: `${name} answers but ${image} could not be imported: ${why}`, skippable: false };
}

/** Why `name` cannot be used for tests (over `transport`), or null when it answers and has (or was given) `image`. */
export function engineCheck(name: RuntimeName, transport: TransportName = 'cli', image: string = TEST_IMAGE): EngineProblem | null {
  return engineAnswers(name, transport) ?? ensureTestImage(name, image);
}

/** {@link engineCheck}'s message, or null. */
export function engineProblem(name: RuntimeName, transport: TransportName = 'cli', image: string = TEST_IMAGE): string | null {
  return engineCheck(name, transport, image)?.message ?? null;
}

/**
 * What a suite does with these problems: run without any; skip outside CI when each is a missing prerequisite;
 * fail under CI=true, or when the engine answered and the image still could not be made.
 */
export function suiteVerdict(problems: readonly EngineProblem[], env: NodeJS.ProcessEnv = process.env): 'run' | 'skip' | 'fail' {
  if (problems.length === 0) return 'run';
  if (env.CI === 'true' || problems.some((p) => !p.skippable)) return 'fail';
  return 'skip';
}

/**
 * `describe` for a suite that needs a real engine and the test image (imported here when missing). Without
 * the engine (or busybox-static to make the image) it is skipped with a visible notice, except under CI=true,
 * where that is a failing test, never a skip; an import that fails on an engine that answers always fails.
 */
export function describeWithEngine(name: RuntimeName, title: string, body: () => void, transport: TransportName = 'cli'): void {
  const problem = engineCheck(name, transport);
  const verdict = suiteVerdict(problem === null ? [] : [problem]);
  if (verdict === 'run') {
    describe(`${title} [${name}]`, body);
    return;
  }
  const message = problem?.message ?? '';
  if (verdict === 'fail') {
    describe(`${title} [${name}]`, () => {
      it(`needs ${name} and its test image`, () => {
        throw new Error(problem?.skippable ? `engine missing under CI: ${message}` : message);
      });
    });
    return;
  }
  process.stderr.write(`\n*** SKIPPED "${title}" on ${name}: ${message}. Run: npm run setup-engines ***\n\n`);
  describe.skip(`${title} [${name}] (skipped: ${message})`, body);
}

/** A service name no other test run uses, so decoys and containers of parallel suites never mix. */
export function uniqueService(prefix = 'mgt'): string {
  return `${prefix}${randomBytes(4).toString('hex')}`;
}

export function tempDir(prefix = 'must-gather-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** What `<engine> logs [args] <id>` writes, stdout and stderr into one file as `> f 2>&1` does. */
export function engineLogBytes(name: RuntimeName, id: string, extraArgs: readonly string[] = []): Buffer {
  const path = join(tempDir('must-gather-expected-'), 'expected.log');
  const fd = openSync(path, 'w');
  try {
    const result = spawnSync(name, ['logs', ...extraArgs, id], { stdio: ['ignore', fd, fd], timeout: 120_000 });
    if (result.status !== 0) throw new Error(`${name} logs ${id} exited ${result.status}`);
  } finally {
    closeSync(fd);
  }
  return readFileSync(path);
}

/** Remove containers; podman's `-t 0` avoids its 10 s stop grace period. */
export function removeContainers(name: RuntimeName, names: readonly string[]): void {
  if (names.length === 0) return;
  const args = name === 'podman' ? ['rm', '-f', '-t', '0', ...names] : ['rm', '-f', ...names];
  spawnSync(name, args, { stdio: 'ignore', timeout: 120_000 });
}

/**
 * What must-gather saves of a container's log (no options): the engine's own entries, from its API, with
 * each stream's lines kept whole — a line of one stream is never split by a line of the other, an unfinished
 * line waits for its end (at the end of the log: stdout's first). `logs > f 2>&1` tears them. A TTY log is
 * one stream, returned as it is.
 */
export function wholeLinesLogBytes(name: RuntimeName, id: string): Buffer {
  const url = `http://engine/containers/${id}/logs?stdout=1&stderr=1`;
  const answer = spawnSync('curl', ['-sS', '--fail', '--unix-socket', API_SOCKETS[name], url], { maxBuffer: 1024 * 1024 * 1024, timeout: 120_000 });
  if (answer.status !== 0) throw new Error(`curl ${url} exited ${answer.status}: ${String(answer.stderr)}`);
  const body = answer.stdout;
  if (engine(name, ['inspect', '--format', '{{.Config.Tty}}', id]).trim() === 'true') return body;
  const held: [Buffer[], Buffer[]] = [[], []];
  const out: Buffer[] = [];
  for (let at = 0; at + 8 <= body.length; ) {
    const type = body[at] as number;
    const payload = body.subarray(at + 8, at + 8 + body.readUInt32BE(at + 4));
    at += 8 + payload.length;
    if (type === 3) continue;
    const own = held[type === 2 ? 1 : 0];
    const end = payload.lastIndexOf(0x0a) + 1;
    if (end > 0) out.push(...own.splice(0), payload.subarray(0, end));
    if (end < payload.length) own.push(payload.subarray(end));
  }
  return Buffer.concat([...out, ...held[0], ...held[1]]);
}

/**
 * A log's lines in sorted order (latin1, so any bytes compare). The CLI transport reads stdout and stderr
 * from pipes of their own and so cannot know how the engine interleaved the two streams' lines: what it
 * saves is the same lines, whole, each stream's in order, interleaved as the pipes delivered them.
 */
export function sortedLines(bytes: Buffer): string[] {
  return bytes.toString('latin1').split('\n').sort();
}
