import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { gather, type GatherResult } from '../../src/index.js';
import type { Manifest } from '../../src/gather/manifest.js';
import { detectRuntime } from '../../src/runtime/detect.js';
import type { ContainerRuntime, RuntimeName, TransportName } from '../../src/runtime/types.js';
import { describeWithEngine, engine, engineLogBytes, removeContainers, tempDir, TEST_IMAGE, uniqueService } from '../helpers/engines.js';
import { runBin } from '../helpers/run-cli.js';
import { startScenario, type Scenario } from '../helpers/scenario.js';

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** The collection suite, run per real engine and transport (see podman.test.ts and docker.test.ts). */
export function collectionSuite(name: RuntimeName, transport: TransportName): void {
  describeWithEngine(name, `collects a service’s containers over ${transport}`, () => {
    const opts = { runtime: name, transport, env: process.env } as const;
    let scenario: Scenario;
    let base: string;
    let result: GatherResult;

    beforeAll(async () => {
      scenario = startScenario(name, uniqueService());
      base = tempDir();
      result = await gather({ service: scenario.service, ...opts, outputDir: base });
    });
    afterAll(() => scenario?.cleanup());

    it('selects exactly the service’s containers, running, exited and created, and no decoy', () => {
      const names = result.containers.map((c) => c.name).sort();
      expect(names).toEqual(scenario.members.map((m) => m.name).sort());
      for (const decoy of scenario.decoys) expect(names).not.toContain(decoy);
      expect(result.runtime.name).toBe(name);
      expect(result.runtime.transport).toBe(transport);
      expect(result.incomplete).toBe(false);
      expect(result.containers.every((c) => c.error === null)).toBe(true);
    });

    it('writes the folder as <service>-integration-<YYYYMMDD-HHMMSS> under the output dir, and nothing else there', () => {
      expect(result.outputDir).not.toBeNull();
      const dir = result.outputDir as string;
      expect(dir.startsWith(base + '/')).toBe(true);
      expect(dir.slice(base.length + 1)).toMatch(new RegExp(`^${scenario.service}-integration-\\d{8}-\\d{6}$`));
      expect(readdirSync(base)).toEqual([dir.slice(base.length + 1)]);
      const expectedFiles = ['manifest.json', 'runtime.json', 'SUMMARY.md', 'index.html', ...scenario.members.flatMap((m) => [`${m.name}.log`, `${m.name}_inspect.json`])];
      expect(readdirSync(dir).sort()).toEqual(expectedFiles.sort());
    });

    it('saves every log byte for byte as `logs` returns it (stdout+stderr, binary, TTY \\r\\n)', () => {
      const dir = result.outputDir as string;
      for (const member of scenario.members) {
        const saved = readFileSync(join(dir, `${member.name}.log`));
        expect({ name: member.name, bytes: saved.toString('base64') }).toEqual({
          name: member.name,
          bytes: engineLogBytes(name, member.id).toString('base64'),
        });
      }
      const binary = readFileSync(join(dir, `${scenario.service}_binary_test.log`));
      // docker's json-file driver stores lines as JSON strings and so itself replaces invalid UTF-8 with U+FFFD;
      // podman's k8s-file keeps the raw bytes. Either way the file holds what the engine returns, NULs included.
      const invalid = name === 'docker' ? [0xef, 0xbf, 0xbd, 0xef, 0xbf, 0xbd] : [0xff, 0xfe];
      const invalidErr = name === 'docker' ? [0xef, 0xbf, 0xbd] : [0xff];
      expect(binary.includes(Buffer.from([0x61, 0x00, 0x62, ...invalid, 0x63, 0x0d, 0x0a]))).toBe(true);
      expect(binary.includes(Buffer.from([0x00, 0x01, 0x02, 0x65, 0x72, 0x72, ...invalidErr, 0x0a]))).toBe(true);
      expect(binary.includes(Buffer.from('no newline at end'))).toBe(true);
      const tty = readFileSync(join(dir, `${scenario.service}-tty-test.log`), 'latin1');
      expect(tty).toBe('line one\r\nline two\r\n');
      const many = readFileSync(join(dir, `${scenario.service}_many_test.log`), 'latin1');
      expect(many.split('\n').length - 1).toBe(20_500);
    });

    it('saves each inspect object with the container’s Id, state and exit code', () => {
      const dir = result.outputDir as string;
      for (const member of scenario.members) {
        const inspect = JSON.parse(readFileSync(join(dir, `${member.name}_inspect.json`), 'utf8')) as {
          Id: string;
          State: { Status: string; ExitCode: number };
        };
        expect(inspect.Id).toBe(member.id);
        expect(inspect.State.Status).toBe(member.state === 'created' ? inspect.State.Status : member.state);
        const record = result.containers.find((c) => c.name === member.name);
        expect(record?.id).toBe(member.id);
        expect(record?.state).toBe(inspect.State.Status);
        if (member.state !== 'created') expect(record?.exitCode).toBe(member.exitCode);
      }
      expect(result.containers.find((c) => c.name.endsWith('-created-test'))?.state).toMatch(/^(created|configured)$/);
    });

    it('writes a manifest whose sizes and sha256 match the files, and runtime.json naming the engine', () => {
      const dir = result.outputDir as string;
      const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
      expect(manifest.runtime.name).toBe(name);
      expect(manifest.arguments.service).toBe(scenario.service);
      expect(manifest.incomplete).toBe(false);
      expect(manifest.containers).toHaveLength(scenario.members.length);
      for (const container of manifest.containers) {
        expect(container.files.map((f) => f.kind).sort()).toEqual(['inspect', 'log']);
        for (const file of container.files) {
          const bytes = readFileSync(join(dir, file.path));
          expect({ path: file.path, bytes: file.bytes, sha256: file.sha256 }).toEqual({ path: file.path, bytes: bytes.length, sha256: sha256(bytes) });
        }
      }
      const runtime = JSON.parse(readFileSync(join(dir, 'runtime.json'), 'utf8')) as { name: string; version: string; info: unknown };
      expect(runtime.name).toBe(name);
      expect(runtime.version).toMatch(/^\d+\.\d+/);
      expect(typeof runtime.info).toBe('object');
      expect(statSync(dir).mode & 0o777).toBe(0o700);
    });

    it('narrows to components given as whole name tokens', async () => {
      const out = tempDir();
      const narrowed = await gather({ service: scenario.service, components: ['tty'], ...opts, outputDir: out });
      expect(narrowed.containers.map((c) => c.name)).toEqual([`${scenario.service}-tty-test`]);
    });

    it('passes --tail and --timestamps to the engine', async () => {
      const out = tempDir();
      const member = scenario.members.find((m) => m.name.endsWith('_many_test'));
      const tailed = await gather({ service: scenario.service, components: ['many'], tail: '5', ...opts, outputDir: out });
      const saved = readFileSync(join(tailed.outputDir as string, `${member?.name}.log`));
      expect(saved.toString('base64')).toBe(engineLogBytes(name, member?.id as string, ['--tail=5']).toString('base64'));
      expect(saved.toString().split('\n').filter(Boolean)).toHaveLength(5);
      const stamped = await gather({ service: scenario.service, components: ['migrate'], timestamps: true, ...opts, outputDir: out });
      const lines = readFileSync(join(stamped.outputDir as string, `${scenario.service}_migrate_test.log`), 'utf8').split('\n').filter(Boolean);
      // Two lines (stdout and stderr, in the engine's order), each with the engine's RFC 3339 timestamp
      // (podman's compat API gives whole seconds where its CLI gives nanoseconds).
      expect(lines).toHaveLength(2);
      for (const line of lines) expect(line).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\S* (applying 0007|ERROR: relation missing)$/);
    });

    it('records a container removed during collection and still collects the others', async () => {
      const out = tempDir();
      const victim = `${scenario.service}_vanish_test`;
      engine(name, ['run', '-d', '--name', victim, TEST_IMAGE, 'sh', '-c', 'echo bye; sleep 3600']);
      // The real adapter, made to remove the victim just before inspecting it: the engine's own "no such container".
      const { runtime: real } = await detectRuntime({ runtime: name, transport, env: process.env });
      const removing: ContainerRuntime = {
        name: real.name,
        transport: real.transport,
        info: (signal) => real.info(signal),
        describe: (signal) => real.describe(signal),
        list: (options) => real.list(options),
        logs: (container, options, signal) => real.logs(container, options, signal),
        events: (options) => real.events(options),
        inspect: async (id, signal) => {
          const names = engine(name, ['inspect', '--format', '{{.Name}}', id]).trim().replace(/^\//, '');
          if (names === victim) removeContainers(name, [victim]);
          return real.inspect(id, signal);
        },
      };
      const partial = await gather({ service: scenario.service, ...opts, outputDir: out, containerRuntime: removing });
      const gone = partial.containers.find((c) => c.name === victim);
      expect(gone?.error).toMatch(/removed during collection/);
      expect(gone?.files).toEqual([]);
      expect(partial.containers.filter((c) => c.error === null).map((c) => c.name).sort()).toEqual(scenario.members.map((m) => m.name).sort());
    });

    it('records a log driver that cannot be read, keeps no engine error text in the log, collects the rest', async () => {
      const out = tempDir();
      const silent = `${scenario.service}_nolog_test`;
      engine(name, ['run', '-d', '--log-driver', 'none', '--name', silent, TEST_IMAGE, 'sh', '-c', 'echo lost; sleep 3600']);
      try {
        const run = await gather({ service: scenario.service, components: ['nolog'], containers: [`${scenario.service}_app_test`], ...opts, outputDir: out });
        const record = run.containers.find((c) => c.name === silent);
        expect(record?.error).toMatch(/logs failed: .*(does not support reading|'none' log driver)/);
        expect(record?.files.find((f) => f.kind === 'log')?.bytes).toBe(0);
        expect(record?.files.find((f) => f.kind === 'inspect')?.bytes).toBeGreaterThan(100);
        expect(run.containers.find((c) => c.name === `${scenario.service}_app_test`)?.error).toBeNull();
      } finally {
        removeContainers(name, [silent]);
      }
    });

    it('CLI: --archive --json prints one JSON document, and the archive extracts with system tar to the same bytes', async () => {
      const out = tempDir();
      const cli = await runBin([scenario.service, '--runtime', name, '--transport', transport, '--output-dir', out, '--archive', '--json']);
      expect(cli.code).toBe(0);
      const parsed = JSON.parse(cli.stdout) as GatherResult;
      expect(parsed.containers.map((c) => c.name).sort()).toEqual(scenario.members.map((m) => m.name).sort());
      expect(parsed.archivePath).toBe(`${parsed.outputDir}.tar.gz`);
      expect(cli.stderr).toContain(`using ${name}`);
      const folder = (parsed.outputDir as string).slice(out.length + 1);
      const listed = execFileSync('tar', ['-tzf', parsed.archivePath as string], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
      expect(listed).toEqual([`${folder}/`, ...readdirSync(parsed.outputDir as string).map((f) => `${folder}/${f}`)].sort());
      const extracted = tempDir();
      execFileSync('tar', ['-xzf', parsed.archivePath as string, '-C', extracted]);
      for (const file of readdirSync(parsed.outputDir as string)) {
        expect(sha256(readFileSync(join(extracted, folder, file)))).toBe(sha256(readFileSync(join(parsed.outputDir as string, file))));
      }
      const verbose = execFileSync('tar', ['-tvzf', parsed.archivePath as string], { encoding: 'utf8' });
      expect(verbose).not.toMatch(/\broot\b/);
    });

    it('CLI: no match exits 4, lists the names that exist, writes nothing', async () => {
      const out = tempDir();
      const cli = await runBin([`${scenario.service}zz`, '--runtime', name, '--transport', transport, '--output-dir', out]);
      expect(cli.code).toBe(4);
      expect(cli.stdout).toBe('');
      expect(cli.stderr).toContain(`no container of "${scenario.service}zz" found`);
      expect(cli.stderr).toContain(`${scenario.service}_app_test`);
      expect(readdirSync(out)).toEqual([]);
    });

    it('CLI: an unsafe service name exits 2 and writes nothing', async () => {
      const out = join(tempDir(), 'base');
      const cli = await runBin(['../escape', '--runtime', name, '--output-dir', out]);
      expect(cli.code).toBe(2);
      expect(cli.stderr).toContain('invalid service name "../escape"');
      expect(existsSync(out)).toBe(false);
    });
  }, transport);
}
