import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** Why `name` cannot be used for tests (over `transport`), or null when it answers and has the test image. */
export function engineProblem(name: RuntimeName, transport: TransportName = 'cli'): string | null {
  if (transport === 'api') {
    const url = `unix://${API_SOCKETS[name]}`;
    const args = name === 'podman' ? ['--url', url, 'version'] : ['-H', url, 'version'];
    const answer = spawnSync(name, args, { encoding: 'utf8', timeout: 30_000 });
    if (answer.status !== 0) return `${name} API at ${url} does not answer (run: npm run setup-engines)`;
  }
  const info = spawnSync(name, ['info'], { encoding: 'utf8', timeout: 30_000 });
  if (info.error) return `${name}: ${info.error.message}`;
  if (info.status !== 0) return `${name} info exited ${info.status}: ${info.stderr.trim().split('\n').pop()}`;
  const image = spawnSync(name, ['image', 'inspect', TEST_IMAGE], { encoding: 'utf8', timeout: 30_000 });
  if (image.status !== 0) return `${name} has no ${TEST_IMAGE} (run: npm run setup-engines)`;
  return null;
}

/**
 * `describe` for a suite that needs a real engine. Without one it is skipped with a visible notice,
 * except under CI=true, where a missing engine is a failing test, never a skip.
 */
export function describeWithEngine(name: RuntimeName, title: string, body: () => void, transport: TransportName = 'cli'): void {
  const problem = engineProblem(name, transport);
  if (problem === null) {
    describe(`${title} [${name}]`, body);
    return;
  }
  if (process.env.CI === 'true') {
    describe(`${title} [${name}]`, () => {
      it(`needs ${name} under CI`, () => {
        throw new Error(`engine missing under CI: ${problem}`);
      });
    });
    return;
  }
  process.stderr.write(`\n*** SKIPPED "${title}" on ${name}: ${problem}. Run: npm run setup-engines ***\n\n`);
  describe.skip(`${title} [${name}] (skipped: ${problem})`, body);
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
