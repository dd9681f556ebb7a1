import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithEngine, engine, ENGINES, removeContainers, tempDir, TEST_IMAGE, uniqueService } from '../helpers/engines.js';
import { runBin } from '../helpers/run-cli.js';

/**
 * Components select any of their containers, on a real engine through the built CLI (`npm run build` first):
 * the kubernaut shapes `<svc>_{postgres,redis,datastorage}_test`, a Ginkgo-process container `<svc>_ka_test_1`,
 * a mock without the service prefix `mock-llm-<svc>`, and decoys `x<svc>_postgres_test` (another prefix) and
 * `<svc>_postgresql_test` (`postgres` only as part of a token).
 */
for (const name of ENGINES) {
  describeWithEngine(name, 'components select any of the containers they name', () => {
    const svc = uniqueService('mgc');
    const names = [
      `${svc}_postgres_test`,
      `${svc}_redis_test`,
      `${svc}_datastorage_test`,
      `${svc}_ka_test_1`,
      `mock-llm-${svc}`,
      `x${svc}_postgres_test`,
      `${svc}_postgresql_test`,
    ];
    /** What each container prints: two lines naming it, so a log in the wrong file shows. */
    const printed = (container: string): string => `${container} says hello\n${container} is done\n`;

    beforeAll(() => {
      removeContainers(name, names);
      // Without -d, `run` returns once the container has printed everything and exited.
      for (const container of names) {
        engine(name, ['run', '--name', container, TEST_IMAGE, 'sh', '-c', `printf '%s says hello\\n%s is done\\n' ${container} ${container}`]);
      }
    });
    afterAll(() => removeContainers(name, names));

    /** Run the CLI; return its exit code, the `.log` files of the run folder and their bytes. */
    async function gatherLogs(args: readonly string[]): Promise<{ code: number | null; logs: Record<string, string>; stderr: string }> {
      const out = tempDir();
      const run = await runBin([...args, '--runtime', name, '--output-dir', out, '--quiet']);
      const logs: Record<string, string> = {};
      if (run.code === 0) {
        const dir = run.stdout.trim();
        expect(dir.startsWith(`${out}/${svc}-integration-`)).toBe(true);
        for (const file of readdirSync(dir).filter((f) => f.endsWith('.log') && f !== 'timeline.log').sort()) {
          logs[file] = readFileSync(join(dir, file)).toString('latin1');
        }
      }
      return { code: run.code, logs, stderr: run.stderr };
    }

    it('`<svc>` alone collects every container named <svc>_…, the postgresql one too, no mock, no x<svc>', async () => {
      const run = await gatherLogs([svc]);
      expect({ code: run.code, logs: run.logs }).toEqual({
        code: 0,
        logs: {
          [`${svc}_datastorage_test.log`]: printed(`${svc}_datastorage_test`),
          [`${svc}_ka_test_1.log`]: printed(`${svc}_ka_test_1`),
          [`${svc}_postgres_test.log`]: printed(`${svc}_postgres_test`),
          [`${svc}_postgresql_test.log`]: printed(`${svc}_postgresql_test`),
          [`${svc}_redis_test.log`]: printed(`${svc}_redis_test`),
        },
      });
    });

    it('`<svc> postgres redis` collects the postgres and the redis container, nothing else', async () => {
      const run = await gatherLogs([svc, 'postgres', 'redis']);
      expect({ code: run.code, logs: run.logs }).toEqual({
        code: 0,
        logs: {
          [`${svc}_postgres_test.log`]: printed(`${svc}_postgres_test`),
          [`${svc}_redis_test.log`]: printed(`${svc}_redis_test`),
        },
      });
    });

    it('`<svc> postgres redis --container mock-llm-<svc>` adds the mock, whatever the components', async () => {
      const run = await gatherLogs([svc, 'postgres', 'redis', '--container', `mock-llm-${svc}`]);
      expect({ code: run.code, logs: run.logs }).toEqual({
        code: 0,
        logs: {
          [`${svc}_postgres_test.log`]: printed(`${svc}_postgres_test`),
          [`${svc}_redis_test.log`]: printed(`${svc}_redis_test`),
          [`mock-llm-${svc}.log`]: printed(`mock-llm-${svc}`),
        },
      });
    });
  });
}
