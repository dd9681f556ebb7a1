import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { gather, type GatherResult } from '../../src/index.js';
import { describeWithEngine, ENGINES, sortedLines, tempDir, uniqueService, wholeLinesLogBytes } from '../helpers/engines.js';
import { runBin } from '../helpers/run-cli.js';
import { startScenario, type Scenario } from '../helpers/scenario.js';

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

for (const name of ENGINES) {
  describeWithEngine(
    name,
    'API and CLI transports agree',
    () => {
      let scenario: Scenario;
      beforeAll(() => {
        scenario = startScenario(name, uniqueService('mgx'));
      });
      afterAll(() => scenario?.cleanup());

      it('the same real containers give the same log lines and the same inspect Ids through both transports', async () => {
        const viaCli = await gather({ service: scenario.service, runtime: name, transport: 'cli', outputDir: tempDir(), env: process.env });
        const viaApi = await gather({ service: scenario.service, runtime: name, transport: 'api', outputDir: tempDir(), env: process.env });
        expect([viaCli.runtime.transport, viaApi.runtime.transport]).toEqual(['cli', 'api']);
        expect(viaApi.runtime.endpoint).toMatch(/^unix:\/\//);
        const digest = (result: GatherResult) =>
          result.containers.map((c) => {
            const inspect = JSON.parse(readFileSync(join(result.outputDir as string, `${c.name}_inspect.json`), 'utf8')) as { Id: string };
            const log = readFileSync(join(result.outputDir as string, `${c.name}.log`));
            // The same lines, byte for byte; how the two streams' lines interleave is the CLI's pipes' (see sortedLines).
            return { name: c.name, id: inspect.Id, bytes: log.length, lines: sha256(Buffer.from(sortedLines(log).join('\n'), 'latin1')), state: c.state, exitCode: c.exitCode };
          });
        const cli = digest(viaCli);
        expect(digest(viaApi)).toEqual(cli);
        expect(cli.map((c) => c.name).sort()).toEqual(scenario.members.map((m) => m.name).sort());
        // And neither is trivially empty: the many-lines container carries its 20 500 lines.
        expect(cli.find((c) => c.name.endsWith('_many_test'))?.bytes).toBeGreaterThan(100_000);
      });

      it('with no docker or podman on PATH (a container with only the socket mounted), the CLI still collects over the API', async () => {
        const out = tempDir();
        const emptyPath = tempDir('must-gather-empty-path-');
        const cli = await runBin([scenario.service, '--runtime', name, '--output-dir', out, '--json'], {
          env: { PATH: emptyPath, HOME: process.env.HOME ?? '/root', NO_COLOR: '1' },
        });
        expect(cli.code).toBe(0);
        const result = JSON.parse(cli.stdout) as GatherResult;
        expect(result.runtime).toMatchObject({ name, transport: 'api' });
        expect(result.containers).toHaveLength(scenario.members.length);
        for (const member of scenario.members) {
          const saved = readFileSync(join(result.outputDir as string, `${member.name}.log`));
          expect(sha256(saved)).toBe(sha256(wholeLinesLogBytes(name, member.id)));
        }
      });

      it('with only the CLI allowed and no engine on PATH, exits 3 naming what was tried', async () => {
        const cli = await runBin(['anything', '--runtime', name, '--transport', 'cli', '--output-dir', tempDir()], {
          env: { PATH: tempDir('must-gather-empty-path-'), NO_COLOR: '1' },
        });
        expect(cli.code).toBe(3);
        expect(cli.stderr).toContain(`${name} CLI: command not found on PATH`);
      });
    },
    'api',
  );
}
