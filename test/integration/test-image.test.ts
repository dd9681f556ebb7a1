import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { RuntimeName } from '../../src/runtime/types.js';
import { describeWithEngine, engine, engineProblem, ENGINES, ensureTestImage, suiteVerdict } from '../helpers/engines.js';

/**
 * The engine suites' busybox image is made on demand: an engine that answers but lacks the image gets it
 * imported (scripts/import-test-image.sh, shared with setup-engines.sh) instead of the suites skipping.
 * Every image here has a name of its own, never the shared one, and is removed afterwards.
 */
const SCRIPT = fileURLToPath(new URL('../../scripts/import-test-image.sh', import.meta.url));

const freshImage = (): string => `localhost/must-gather-busybox-test-${randomBytes(4).toString('hex')}:latest`;

function imageExists(name: RuntimeName, image: string): boolean {
  const args = name === 'podman' ? ['image', 'exists', image] : ['image', 'inspect', image];
  return spawnSync(name, args, { stdio: 'ignore', timeout: 30_000 }).status === 0;
}

function removeImage(name: RuntimeName, image: string): void {
  spawnSync(name, ['rmi', '-f', image], { stdio: 'ignore', timeout: 60_000 });
}

function runScript(name: RuntimeName, image: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [SCRIPT, name, image], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

for (const name of ENGINES) {
  describeWithEngine(name, 'the test image is imported when missing', () => {
    const created: string[] = [];
    const fresh = (): string => {
      const image = freshImage();
      created.push(image);
      return image;
    };
    afterAll(() => {
      for (const image of created) removeImage(name, image);
      for (const image of created) expect(imageExists(name, image)).toBe(false);
    });

    it('an engine that answers but lacks the image is no problem: the helper imports it, and it runs', () => {
      const image = fresh();
      expect(imageExists(name, image)).toBe(false);
      expect(engineProblem(name, 'cli', image)).toBeNull();
      expect(imageExists(name, image)).toBe(true);
      const container = `mgi${randomBytes(4).toString('hex')}_probe`;
      expect(engine(name, ['run', '--rm', '--name', container, image, 'sh', '-c', 'echo "$(seq 1 3 | wc -l) ok" | tr a-z A-Z'])).toBe('3 OK\n');
    });

    it('two processes importing at once: both succeed, one of them imports', async () => {
      const image = fresh();
      const runs = await Promise.all([runScript(name, image), runScript(name, image)]);
      expect(runs.map((r) => r.code)).toEqual([0, 0]);
      expect(runs.filter((r) => r.stderr.includes(`importing ${image} into ${name}`))).toHaveLength(1);
      expect(imageExists(name, image)).toBe(true);
      // Idempotent: once there, nothing is imported again.
      const again = await runScript(name, image);
      expect(again).toEqual({ code: 0, stderr: '' });
    });

    it('without busybox-static the problem says how to get it, and nothing is imported', () => {
      const image = fresh();
      const problem = ensureTestImage(name, image, { ...process.env, MUST_GATHER_BUSYBOX: '/nonexistent/busybox' });
      expect(problem?.skippable).toBe(true);
      expect(problem?.message).toContain('apt-get install busybox-static');
      expect(problem?.message).toContain('npm run setup-engines');
      expect(imageExists(name, image)).toBe(false);
    });
  });
}

describe('what a suite does with an engine problem', () => {
  const engineMissing = { message: 'podman: spawn podman ENOENT', skippable: true };
  const busyboxMissing = { message: '/bin/busybox not found: apt-get install busybox-static', skippable: true };
  const importFailed = { message: 'podman: could not import', skippable: false };

  it('no problem: the suite runs', () => {
    expect(suiteVerdict([], {})).toBe('run');
    expect(suiteVerdict([], { CI: 'true' })).toBe('run');
  });
  it('a missing engine or busybox-static skips outside CI and fails under CI=true', () => {
    for (const problem of [engineMissing, busyboxMissing]) {
      expect(suiteVerdict([problem], {})).toBe('skip');
      expect(suiteVerdict([problem], { CI: 'true' })).toBe('fail');
    }
  });
  it('an import that failed with the engine and busybox there fails everywhere', () => {
    expect(suiteVerdict([importFailed], {})).toBe('fail');
    expect(suiteVerdict([engineMissing, importFailed], {})).toBe('fail');
  });
});
