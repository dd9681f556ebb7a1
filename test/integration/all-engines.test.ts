import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gather } from '../../src/index.js';
import type { RuntimeName } from '../../src/runtime/types.js';
import { engine, engineCheck, engineLogBytes, ENGINES, removeContainers, suiteVerdict, tempDir, TEST_IMAGE, uniqueService } from '../helpers/engines.js';

const checks = ENGINES.map((e) => engineCheck(e, 'api')).filter((p) => p !== null);
const problems = checks.map((p) => p.message);
const verdict = suiteVerdict(checks);
const suite = verdict === 'skip' ? describe.skip : describe;
if (verdict === 'skip') process.stderr.write(`\n*** SKIPPED --runtime all: ${problems.join('; ')} ***\n\n`);

suite('--runtime all collects from every engine that answers', () => {
  const service = uniqueService('mga');
  const name = `${service}_db_test`;
  const ids: Partial<Record<RuntimeName, string>> = {};

  beforeAll(() => {
    if (problems.length > 0) throw new Error(`${process.env.CI === 'true' ? 'engine missing under CI: ' : ''}${problems.join('; ')}`);
    // The same container name in both engines: the files must not collide.
    for (const e of ENGINES) ids[e] = engine(e, ['run', '-d', '--name', name, TEST_IMAGE, 'sh', '-c', `echo "from ${e}"; sleep 3600`]).trim();
  });
  afterAll(() => {
    for (const e of ENGINES) removeContainers(e, [name]);
  });

  it('puts each engine’s files in a folder named after it, each with its runtime.json', async () => {
    const result = await gather({ service, runtime: 'all', outputDir: tempDir(), env: process.env });
    expect(result.runtimes.map((r) => r.name).sort()).toEqual(['docker', 'podman']);
    expect(result.containers.map((c) => `${c.runtime}:${c.name}`).sort()).toEqual([`docker:${name}`, `podman:${name}`]);
    const dir = result.outputDir as string;
    expect(readdirSync(dir).sort()).toEqual(['SUMMARY.md', 'docker', 'events.jsonl', 'index.html', 'manifest.json', 'podman', 'timeline.log']);
    for (const e of ENGINES) {
      expect(readdirSync(join(dir, e)).sort()).toEqual([`${name}.log`, `${name}_inspect.json`, 'runtime.json']);
      expect(readFileSync(join(dir, e, `${name}.log`), 'utf8')).toBe(`from ${e}\n`);
      expect(readFileSync(join(dir, e, `${name}.log`))).toEqual(engineLogBytes(e, ids[e] as string));
      expect((JSON.parse(readFileSync(join(dir, e, `${name}_inspect.json`), 'utf8')) as { Id: string }).Id).toBe(ids[e]);
      expect((JSON.parse(readFileSync(join(dir, e, 'runtime.json'), 'utf8')) as { name: string }).name).toBe(e);
      const record = result.containers.find((c) => c.runtime === e);
      expect(record?.files.map((f) => f.path).sort()).toEqual([`${e}/${name}.log`, `${e}/${name}_inspect.json`]);
    }
  });
});
