import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { GatherResult } from '../../src/gather/gather.js';
import type { Manifest } from '../../src/gather/manifest.js';
import { describeWithEngine, ENGINES, engine, removeContainers, tempDir, TEST_IMAGE, uniqueService } from '../helpers/engines.js';
import { hangingPath, realEngine, sleepersLeft } from '../helpers/hanging-engine.js';
import { BIN, runBin } from '../helpers/run-cli.js';

for (const name of ENGINES) {
  describeWithEngine(name, 'stays bounded when the engine hangs', () => {
    const service = uniqueService('mgh');
    const names = [`${service}_a_test`, `${service}_b_test`, `${service}_c_test`];

    beforeAll(() => {
      for (const n of names) engine(name, ['run', '-d', '--name', n, TEST_IMAGE, 'sh', '-c', 'echo hi; sleep 3600']);
    });
    afterAll(() => removeContainers(name, names));

    it('--timeout ends the run, kills the hung `logs` children, keeps what was collected and marks it incomplete', async () => {
      const out = tempDir();
      const hang = 900_000 + Math.floor(Math.random() * 90_000);
      const env = { ...process.env, NO_COLOR: '1', PATH: hangingPath(name), MUST_GATHER_DIRECT_LOGS: '0', MG_REAL_ENGINE: realEngine(name), MG_HANG_SECONDS: String(hang) };
      const cli = await runBin([service, '--runtime', name, '--transport', 'cli', '--output-dir', out, '--timeout', '3s', '--concurrency', '2', '--json'], { env });
      expect(cli.code).toBe(0);
      const result = JSON.parse(cli.stdout) as GatherResult;
      expect(result.incomplete).toBe(true);
      expect(result.interruption).toBe('timed out after 3 s (--timeout)');
      expect(result.containers.map((c) => c.name)).toEqual(names);
      // Two were inside `logs` when the deadline fired; the third never started.
      const cut = result.containers.filter((c) => c.error === 'logs cut short: timed out after 3 s (--timeout)');
      const never = result.containers.filter((c) => c.error === 'not collected: timed out after 3 s (--timeout)');
      expect([cut.length, never.length]).toEqual([2, 1]);
      for (const c of cut) {
        expect(c.complete).toBe(false);
        expect(c.files.map((f) => f.path).sort()).toEqual([`${c.name}.log`, `${c.name}_inspect.json`]);
        expect(existsSync(join(result.outputDir as string, `${c.name}_inspect.json`))).toBe(true);
      }
      const manifest = JSON.parse(readFileSync(join(result.outputDir as string, 'manifest.json'), 'utf8')) as Manifest;
      expect(manifest.incomplete).toBe(true);
      expect(manifest.interruption).toBe(result.interruption);
      expect(sleepersLeft(hang)).toBe('');
    });

    it('SIGINT stops the run, writes the manifest marked incomplete and exits 130 without orphans', async () => {
      const out = tempDir();
      const hang = 900_000 + Math.floor(Math.random() * 90_000);
      const env = { ...process.env, NO_COLOR: '1', PATH: hangingPath(name), MUST_GATHER_DIRECT_LOGS: '0', MG_REAL_ENGINE: realEngine(name), MG_HANG_SECONDS: String(hang) };
      const child = spawn(process.execPath, [BIN, service, '--runtime', name, '--transport', 'cli', '--output-dir', out, '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      const code = await new Promise<number | null>((resolve) => {
        child.stderr.setEncoding('utf8').on('data', (c: string) => {
          stderr += c;
          // Interrupt once the engine's `logs` is known to be running (the hang has begun).
          if (sleepersLeft(hang) !== '' && !child.killed) child.kill('SIGINT');
        });
        const poll = setInterval(() => {
          if (sleepersLeft(hang) !== '' && !child.killed) child.kill('SIGINT');
        }, 100);
        child.on('close', (c) => {
          clearInterval(poll);
          resolve(c);
        });
      });
      expect({ code, stderr: code === 130 ? '' : stderr }).toEqual({ code: 130, stderr: '' });
      const result = JSON.parse(stdout) as GatherResult;
      expect(result.interruption).toBe('interrupted (SIGINT)');
      const manifest = JSON.parse(readFileSync(join(result.outputDir as string, 'manifest.json'), 'utf8')) as Manifest;
      expect(manifest.incomplete).toBe(true);
      expect(sleepersLeft(hang)).toBe('');
    });
  });
}
