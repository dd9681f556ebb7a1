import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { TOOL } from '../../src/version.js';

async function cli(argv: string[], env: NodeJS.ProcessEnv = { PATH: '/nonexistent' }) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env, color: false, signal: new AbortController().signal });
  return { code, stdout, stderr };
}

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
    [['svc', '--runtime', 'lxc'], 'Allowed choices are auto, podman, docker'],
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

  it('with no engine on PATH, exits 3 and names every engine tried', async () => {
    const base = mkdtempSync(join(tmpdir(), 'must-gather-cli-'));
    const r = await cli(['svc', '--output-dir', join(base, 'out')], { PATH: base });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('no usable container engine found');
    expect(r.stderr).toContain('podman: command not found on PATH');
    expect(r.stderr).toContain('docker: command not found on PATH');
    expect(readdirSync(base)).toEqual([]);
  });

  it('MUST_GATHER_RUNTIME from the given env is honoured (only that engine is tried)', async () => {
    const base = mkdtempSync(join(tmpdir(), 'must-gather-cli-'));
    const r = await cli(['svc'], { PATH: base, MUST_GATHER_RUNTIME: 'docker' });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('docker: command not found on PATH');
    expect(r.stderr).not.toContain('podman:');
  });
});
