import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/gather/manifest.js';
import type { RuntimeName } from '../../src/runtime/types.js';
import { API_SOCKETS, engine, engineProblem, ENGINES, removeContainers, tempDir, TEST_IMAGE, uniqueService } from '../helpers/engines.js';
import { runBin } from '../helpers/run-cli.js';

/*
 * `--runtime auto` (the default) with both engines up: the service's containers are collected from
 * whichever engine has them, whatever DOCKER_HOST/CONTAINER_HOST point at (issue 14, defects 1, 2, 10).
 */

const problems = ENGINES.map((e) => engineProblem(e, 'api')).filter((p) => p !== null);
const suite = problems.length === 0 || process.env.CI === 'true' ? describe : describe.skip;
if (problems.length > 0 && process.env.CI !== 'true') process.stderr.write(`\n*** SKIPPED --runtime auto across engines: ${problems.join('; ')} ***\n\n`);

/** The user's environment with only the engine variables given set. */
function userEnv(vars: { DOCKER_HOST?: string; CONTAINER_HOST?: string } = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const name of ['DOCKER_HOST', 'CONTAINER_HOST', 'MUST_GATHER_RUNTIME', 'MUST_GATHER_TRANSPORT', 'MUST_GATHER_DIR', 'DOCKER_CONTEXT']) delete env[name];
  return { ...env, ...vars };
}

function manifestOf(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
}

/** A TCP port on loopback that refuses connections: one that was just free. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

suite('--runtime auto collects from the engine that has the containers', () => {
  const onlyPodman = uniqueService('mgp');
  const onlyDocker = uniqueService('mgd');
  const inBoth = uniqueService('mgb');
  const nowhere = uniqueService('mgn');
  const started: Record<RuntimeName, string[]> = { podman: [], docker: [] };
  const start = (e: RuntimeName, name: string, text: string): void => {
    engine(e, ['run', '-d', '--name', name, TEST_IMAGE, 'sh', '-c', `echo "${text}"; sleep 3600`]);
    started[e].push(name);
  };

  beforeAll(() => {
    if (problems.length > 0) throw new Error(`engine missing under CI: ${problems.join('; ')}`);
    start('podman', `${onlyPodman}_db_test`, 'podman db');
    start('docker', `${onlyDocker}_db_test`, 'docker db');
    // Each engine must have containers, so "the other engine is empty" is never what makes a test pass.
    start('docker', `x${onlyPodman}_decoy_test`, 'decoy');
    start('podman', `x${onlyDocker}_decoy_test`, 'decoy');
    start('podman', `${inBoth}_db_test`, 'both podman');
    start('docker', `${inBoth}_cache_test`, 'both docker');
  });
  afterAll(() => {
    for (const e of ENGINES) removeContainers(e, started[e]);
  });

  it('containers in podman, DOCKER_HOST pointing at docker: collected from podman (defect 1)', async () => {
    const out = tempDir();
    const run = await runBin([onlyPodman, '-o', out], { env: userEnv({ DOCKER_HOST: `unix://${API_SOCKETS.docker}` }) });
    expect(run.stderr).not.toContain('no container of');
    expect(run.code).toBe(0);
    const dir = run.stdout.trim();
    expect(readdirSync(dir).sort()).toEqual(['SUMMARY.md', 'events.jsonl', 'index.html', 'manifest.json', `${onlyPodman}_db_test.log`, `${onlyPodman}_db_test_inspect.json`, 'runtime.json']);
    expect(readFileSync(join(dir, `${onlyPodman}_db_test.log`), 'utf8')).toBe('podman db\n');
    const manifest = manifestOf(dir);
    expect(manifest.runtime.name).toBe('podman');
    expect(manifest.runtime.reason).toMatch(/it has 1 container of the service's; docker has \d+ containers?, none of them the service's/);
    expect(manifest.engines.map((e) => [e.runtime.name, e.matched, e.used])).toEqual([
      ['docker', 0, false],
      ['podman', 1, true],
    ]);
    expect(run.stderr).toContain(`using podman`);
  });

  it('containers in docker only, podman up with other containers: collected from docker (defect 2)', async () => {
    const out = tempDir();
    const run = await runBin([onlyDocker, '-o', out], { env: userEnv() });
    expect(run.code).toBe(0);
    const dir = run.stdout.trim();
    expect(readFileSync(join(dir, `${onlyDocker}_db_test.log`), 'utf8')).toBe('docker db\n');
    const manifest = manifestOf(dir);
    expect(manifest.runtimes.map((r) => r.name)).toEqual(['docker']);
    expect(manifest.containers.map((c) => [c.runtime, c.name])).toEqual([['docker', `${onlyDocker}_db_test`]]);
  });

  it('containers in both engines: one folder per engine, as with --runtime all', async () => {
    const out = tempDir();
    const run = await runBin([inBoth, '-o', out], { env: userEnv({ CONTAINER_HOST: `unix://${API_SOCKETS.podman}` }) });
    expect(run.code).toBe(0);
    const dir = run.stdout.trim();
    expect(readdirSync(dir).sort()).toEqual(['SUMMARY.md', 'docker', 'events.jsonl', 'index.html', 'manifest.json', 'podman', 'timeline.log']);
    expect(readFileSync(join(dir, 'podman', `${inBoth}_db_test.log`), 'utf8')).toBe('both podman\n');
    expect(readFileSync(join(dir, 'docker', `${inBoth}_cache_test.log`), 'utf8')).toBe('both docker\n');
    expect(manifestOf(dir).runtimes.map((r) => r.name)).toEqual(['podman', 'docker']);
    // The verdict reads each engine's folder: both logs analysed, none reported missing.
    const findings = manifestOf(dir).findings?.containers ?? [];
    expect(findings.map((c) => [c.name, c.log?.path, c.log?.lines, c.notes])).toEqual([
      [`${inBoth}_cache_test`, `docker/${inBoth}_cache_test.log`, 1, []],
      [`${inBoth}_db_test`, `podman/${inBoth}_db_test.log`, 1, []],
    ]);
  });

  it('no engine has a match: exit 4, each engine listed with what it has, nothing written', async () => {
    const out = tempDir();
    const run = await runBin([nowhere, '-o', out], { env: userEnv() });
    expect(run.code).toBe(4);
    expect(run.stderr).toContain(`no container of "${nowhere}" found in podman or docker`);
    const podmanPart = run.stderr.slice(run.stderr.indexOf('podman (unix://'), run.stderr.indexOf('docker (unix://'));
    const dockerPart = run.stderr.slice(run.stderr.indexOf('docker (unix://'));
    expect(podmanPart).toContain(`  ${onlyPodman}_db_test\n`);
    expect(podmanPart).not.toContain(`${onlyDocker}_db_test`);
    expect(dockerPart).toContain(`  ${onlyDocker}_db_test\n`);
    expect(readdirSync(out)).toEqual([]);
  });

  it('a DOCKER_HOST that does not answer is said on stderr and in the manifest (defect 10)', async () => {
    const out = tempDir();
    const port = await closedPort();
    const run = await runBin([onlyPodman, '-o', out], { env: userEnv({ DOCKER_HOST: `tcp://127.0.0.1:${port}` }) });
    expect(run.code).toBe(0);
    const warning = `DOCKER_HOST tcp://127.0.0.1:${port} did not answer`;
    expect(run.stderr).toContain(`must-gather: warning: ${warning}`);
    const manifest = manifestOf(run.stdout.trim());
    expect(manifest.warnings).toHaveLength(1);
    expect(manifest.warnings[0]).toMatch(new RegExp(`^${warning}: .*ECONNREFUSED.*; used podman over unix:///run/podman/podman.sock instead$`));
  });

  it('--runtime podman still means podman alone, whatever the other engine has', async () => {
    const out = tempDir();
    const run = await runBin([onlyDocker, '-o', out, '--runtime', 'podman'], { env: userEnv() });
    expect(run.code).toBe(4);
    expect(run.stderr).toContain(`no container of "${onlyDocker}" found in podman `);
  });
});
