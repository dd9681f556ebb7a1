import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithEngine, engine, removeContainers, tempDir, TEST_IMAGE, uniqueService } from '../helpers/engines.js';
import { BIN, runBinIntoClosedPipe } from '../helpers/run-cli.js';

/*
 * `must-gather --help | head -1`: the reader of stdout goes away before everything was written (issue 14,
 * defect 6). The process ends quietly — no EPIPE, no stack — with 141 (128 + SIGPIPE, as git and the shell
 * report it) where it would have exited 0, on every command.
 */

const BROKEN_PIPE = 141;

/** Nothing on stderr that a crash leaves: node's `throw er; // Unhandled 'error' event`, a stack, EPIPE. */
function expectQuiet(stderr: string): void {
  expect(stderr).not.toMatch(/EPIPE|Unhandled|^\s+at /m);
}

function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const name of ['MUST_GATHER_RUNTIME', 'MUST_GATHER_TRANSPORT', 'MUST_GATHER_DIR', 'MUST_GATHER_WHEN']) delete env[name];
  return { ...env, ...extra };
}

describe('a closed stdout ends the process quietly', () => {
  beforeAll(() => {
    if (!existsSync(join(BIN, '../../dist/cli/main.js'))) throw new Error('dist/ is missing: run npm run build');
  });

  for (const args of [['--help'], ['report', '--help'], ['prune', '--help'], ['doctor'], ['doctor', '--json']]) {
    it(`must-gather ${args.join(' ')}`, async () => {
      const run = await runBinIntoClosedPipe(args, { env: userEnv() });
      expectQuiet(run.stderr);
      expect(run.stderr).toBe('');
      expect(run).toMatchObject({ code: BROKEN_PIPE, signal: null });
    });
  }

  it('a failing command keeps its own exit code (a usage error: 2, and its message)', async () => {
    const run = await runBinIntoClosedPipe(['bad name'], { env: userEnv() });
    expectQuiet(run.stderr);
    expect(run.stderr).toMatch(/^must-gather: invalid service name "bad name"/);
    expect(run.code).toBe(2);
  });
});

describe('a stdout that cannot be written (a file on a full disk)', () => {
  for (const args of [['--help'], ['doctor', '--json']]) {
    it(`must-gather ${args.join(' ')} > /dev/full: exit 5 and one line that says why, no stack`, () => {
      const full = openSync('/dev/full', 'w');
      try {
        const run = spawnSync(process.execPath, [BIN, ...args], { env: userEnv(), stdio: ['ignore', full, 'pipe'], encoding: 'utf8', timeout: 60_000 });
        expectQuiet(run.stderr);
        expect(run.stderr).toMatch(/^must-gather: could not write to stdout: ENOSPC: no space left on device/m);
        expect(run.status).toBe(5);
      } finally {
        closeSync(full);
      }
    });
  }
});

describeWithEngine('podman', 'a closed stdout after a gather', () => {
  const service = uniqueService('mgpipe');
  const name = `${service}_db_test`;

  beforeAll(() => {
    engine('podman', ['run', '-d', '--name', name, TEST_IMAGE, 'sh', '-c', 'echo "db ready"; exec sleep 600']);
  });
  afterAll(() => removeContainers('podman', [name]));

  for (const [what, extra, stderrToo] of [
    ['--json', ['--json'], false],
    ['the folder path', [], false],
    ['2>&1: progress and digest into the closed pipe too', [], true],
  ] as const) {
    it(`${what}: the run completes, 141, nothing on stderr but the run's own lines`, async () => {
      const out = tempDir('must-gather-pipes-');
      const run = await runBinIntoClosedPipe([service, '--runtime', 'podman', '--transport', 'cli', '-o', out, ...extra], { env: userEnv(), stderrToo });
      expectQuiet(run.stderr);
      if (!stderrToo) expect(run.stderr).toContain(`saved 1 container`);
      expect(run).toMatchObject({ code: BROKEN_PIPE, signal: null });
      // The evidence is all there: the run was not cut short by its stdout.
      const folders = readdirSync(out).filter((e) => !e.startsWith('.'));
      expect(folders).toHaveLength(1);
      const files = readdirSync(join(out, folders[0] as string)).sort();
      expect(files).toEqual(expect.arrayContaining(['SUMMARY.md', 'index.html', 'manifest.json', `${name}.log`, `${name}_inspect.json`]));
    });
  }
});
