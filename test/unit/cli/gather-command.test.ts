import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/main.js';
import { runCliInProcess } from '../../helpers/run-cli.js';
import { TOOL } from '../../../src/_util/version.js';

const cli = runCliInProcess;

describe('runCli (in process, no engine needed)', () => {
  it('--help prints usage and exit codes to stdout and returns 0', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: must-gather [options] <service> [components...]');
    expect(r.stdout).toContain('3  no usable container engine');
  });

  it('--version prints the package version', async () => {
    const r = await cli(['--version']);
    expect([r.code, r.stdout.trim()]).toEqual([0, TOOL.version]);
  });

  it('a missing service is a usage error (2)', async () => {
    const r = await cli([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("missing required argument 'service'");
  });

  it.each([
    [['svc', '--runtime', 'lxc'], 'Allowed choices are auto, podman, docker, all'],
    [['svc', '--transport', 'grpc'], 'Allowed choices are auto, api, cli'],
    [['doctor', '--runtime', 'lxc'], 'Allowed choices are auto, podman, docker, all'],
    [['doctor', '--transport', 'ssh'], 'Allowed choices are auto, api, cli'],
    [['svc', '--concurrency', '0'], 'expected a whole number of at least 1'],
    [['svc', '--timeout', 'soon'], 'expected a duration'],
    [['svc', '--bogus'], "unknown option '--bogus'"],
  ])('%j is a usage error (2)', async (argv, message) => {
    const r = await cli(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it.each(['../x', 'a/b', 'a b', ''])('service name %j is a usage error and nothing is written', async (service) => {
    const base = mkdtempSync(join(tmpdir(), 'must-gather-cli-'));
    const r = await cli([service, '--output-dir', join(base, 'out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`invalid service name ${JSON.stringify(service)}`);
    expect(readdirSync(base)).toEqual([]);
  });

  it('--tail that is not a number is a usage error', async () => {
    const r = await cli(['svc', '--tail', 'lots']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('invalid tail "lots"');
  });

  // The default sockets (/run/podman/podman.sock, /var/run/docker.sock) may exist and answer on a developer
  // machine: the no-engine cases use the CLI transport only, with an empty folder as PATH.
  it('with no engine on PATH (--transport cli), exits 3 and names every place tried', async () => {
    const base = mkdtempSync(join(tmpdir(), 'must-gather-cli-'));
    const r = await cli(['svc', '--transport', 'cli', '--output-dir', join(base, 'out')], { PATH: base });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(
      'must-gather: no usable container engine found. Tried:\n' +
        '  - podman CLI: command not found on PATH\n' +
        '  - docker CLI: command not found on PATH\n' +
        'Install podman or docker (see scripts/setup-engines.sh), or point CONTAINER_HOST/DOCKER_HOST at an engine.\n',
    );
    expect(r.stdout).toBe('');
    expect(readdirSync(base)).toEqual([]);
  });

  it('MUST_GATHER_RUNTIME from the given env is honoured (only that engine is tried)', async () => {
    const base = mkdtempSync(join(tmpdir(), 'must-gather-cli-'));
    const r = await cli(['svc', '--transport', 'cli', '--output-dir', join(base, 'out')], { PATH: base, MUST_GATHER_RUNTIME: 'docker' });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('no usable container engine found. Tried:\n  - docker CLI: command not found on PATH\n');
    expect(r.stderr).not.toContain('podman CLI');
    expect(readdirSync(base)).toEqual([]);
  });

  it('MUST_GATHER_TRANSPORT from the given env is honoured (no socket is tried)', async () => {
    const base = mkdtempSync(join(tmpdir(), 'must-gather-cli-'));
    const r = await cli(['svc', '--output-dir', join(base, 'out')], { PATH: base, MUST_GATHER_TRANSPORT: 'cli' });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('Tried:\n  - podman CLI: command not found on PATH\n  - docker CLI: command not found on PATH\n');
    expect(r.stderr).not.toContain('socket');
    expect(readdirSync(base)).toEqual([]);
  });

  it('--runtime all with no engine exits 3 and names each CLI once', async () => {
    const base = mkdtempSync(join(tmpdir(), 'must-gather-cli-'));
    const r = await cli(['svc', '--runtime', 'all', '--transport', 'cli', '--output-dir', join(base, 'out')], { PATH: base });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('Tried:\n  - podman CLI: command not found on PATH\n  - docker CLI: command not found on PATH\n');
    expect(r.stderr.split('podman CLI').length).toBe(2);
    expect(readdirSync(base)).toEqual([]);
  });

  it('doctor --help prints its usage and exits 0', async () => {
    const r = await cli(['doctor', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: must-gather doctor [options]');
    expect(r.stdout).toContain('--transport <transport>');
    expect(r.stdout).toContain('--json');
    expect(r.stderr).toBe('');
  });

  it('the main --help lists --transport and the doctor command', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--transport <transport>');
    // commander wraps help at 80 columns: compare with runs of whitespace collapsed.
    const flat = r.stdout.replace(/\s+/g, ' ');
    expect(flat).toContain('(choices: "auto", "api", "cli")');
    expect(flat).toContain('(choices: "auto", "podman", "docker", "all")');
    expect(r.stdout).toContain('must-gather doctor     which engines answer where, and which would be used');
  });

  it('doctor --transport cli with no engine lists each CLI, says nothing is usable and exits 3', async () => {
    const base = mkdtempSync(join(tmpdir(), 'must-gather-cli-'));
    const r = await cli(['doctor', '--transport', 'cli'], { PATH: base });
    expect(r.code).toBe(3);
    expect(r.stdout).toBe(
      'cli  podman CLI  command not found on PATH\n' +
        'cli  docker CLI  command not found on PATH\n' +
        '\nno engine usable for --runtime auto --transport cli\n',
    );
  });

  it('doctor --json --transport cli prints the probes as JSON', async () => {
    const base = mkdtempSync(join(tmpdir(), 'must-gather-cli-'));
    const r = await cli(['doctor', '--json', '--transport', 'cli', '--runtime', 'docker'], { PATH: base });
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout) as unknown;
    expect(doc).toEqual({
      runtime: 'docker',
      transport: 'cli',
      unanswered: [],
      probes: [
        { transport: 'cli', place: 'podman CLI', answered: null, problem: 'command not found on PATH' },
        { transport: 'cli', place: 'docker CLI', answered: null, problem: 'command not found on PATH' },
      ],
      chosen: [],
      problem: 'no usable container engine found. Tried:\n  - docker CLI: command not found on PATH',
    });
  });

  it('a service named like a command is gathered with "gather <service>"', async () => {
    const base = mkdtempSync(join(tmpdir(), 'must-gather-cli-'));
    const r = await cli(['gather', 'doctor', '--transport', 'cli', '--output-dir', join(base, 'out')], { PATH: base });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('podman CLI: command not found on PATH');
  });
});

describe('doctor reads the engine choice from the environment as gathering does', () => {
  it('an invalid MUST_GATHER_RUNTIME is a usage error (2), not a probe of an engine called that', async () => {
    let stderr = '';
    const code = await runCli(['doctor'], { stdout: () => {}, stderr: (t) => (stderr += t), env: { MUST_GATHER_RUNTIME: 'lxc' }, color: false, signal: new AbortController().signal });
    expect(code).toBe(2);
    expect(stderr).toBe('must-gather: invalid runtime "lxc": expected one of auto, podman, docker, all\n');
  });
});

describe('a test-suite step inside a recording (MUST_GATHER_RECORDING)', () => {
  it('gathers nothing for the service being recorded and exits 0; without the mark it tries to gather', async () => {
    const out = mkdtempSync(join(tmpdir(), 'must-gather-recorded-'));
    const env = { PATH: '/nonexistent', MUST_GATHER_RECORDING: 'orders', MUST_GATHER_DIR: out };
    const recorded = await runCliInProcess(['orders', '--if-failed', '--exit-code', '1', '--json'], env);
    expect(recorded).toEqual({
      code: 0,
      stdout: `${JSON.stringify({ skipped: true, reason: 'orders is being recorded (MUST_GATHER_RECORDING)' })}\n`,
      stderr: 'must-gather: orders is being recorded (MUST_GATHER_RECORDING); nothing gathered\n',
    });
    expect(readdirSync(out)).toEqual([]);
    // Another service, or no mark: a gather is attempted (here no engine, 3, or no such container, 4).
    for (const attempt of [await runCliInProcess(['billing', '--if-failed', '--exit-code', '1'], env), await runCliInProcess(['orders', '--if-failed', '--exit-code', '1'], { PATH: '/nonexistent', MUST_GATHER_DIR: out })]) {
      expect([3, 4], attempt.stderr).toContain(attempt.code);
      expect(attempt.stderr).not.toContain('being recorded');
    }
  });
});
