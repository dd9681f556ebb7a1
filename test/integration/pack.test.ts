import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/engines.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const npm = (args: readonly string[], cwd: string): string =>
  execFileSync('npm', [...args], { cwd, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'error' }, stdio: ['ignore', 'pipe', 'pipe'] });

/** What is published: `npm pack`, installed into a scratch project, run as a user would. */
describe('published package', () => {
  let project: string;
  let files: string[];

  beforeAll(() => {
    const packDir = tempDir('must-gather-pack-');
    const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', packDir], ROOT)) as { filename: string; files: { path: string }[] }[];
    files = (packed[0]?.files ?? []).map((f) => f.path).sort();
    project = tempDir('must-gather-scratch-');
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'scratch', version: '1.0.0', private: true, type: 'module' }));
    npm(['install', '--no-audit', '--no-fund', join(packDir, readdirSync(packDir)[0] as string)], project);
  }, 300_000);

  it('ships the bin, the built library and the README, and no tests or sources', () => {
    expect(files).toContain('bin/must-gather.js');
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files).toContain('README.md');
    // setup-engines.sh makes the test image with import-test-image.sh.
    expect(files).toContain('scripts/setup-engines.sh');
    expect(files).toContain('scripts/import-test-image.sh');
    expect(files.filter((f) => f.startsWith('test/') || f.startsWith('src/'))).toEqual([]);
  });

  it('`npx must-gather --help` works in the scratch project and documents the exit codes', () => {
    const help = execFileSync('npx', ['--no-install', 'must-gather', '--help'], { cwd: project, encoding: 'utf8' });
    expect(help).toContain('Usage: must-gather [options] <service> [components...]');
    expect(help).toMatch(/4 {2}no container matched/);
  });

  it('installs no ssh stack: dockerode (ssh:// only) is an optional peer, so no ssh2, no native build', () => {
    const manifest = JSON.parse(readFileSync(join(project, 'node_modules/must-gather/package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    expect(Object.keys(manifest.dependencies)).not.toContain('dockerode');
    expect(Object.keys(manifest.peerDependencies)).toEqual(['dockerode']);
    expect(manifest.peerDependenciesMeta.dockerode?.optional).toBe(true);
    for (const name of ['dockerode', 'docker-modem', 'ssh2', 'cpu-features', 'protobufjs', '@grpc/grpc-js']) {
      expect(existsSync(join(project, 'node_modules', name)), name).toBe(false);
    }
  });

  it('imports the library API by package name', () => {
    const script = "import('must-gather').then((m) => console.log([typeof m.gather, typeof m.selectContainers, m.ExitCode.NO_MATCH].join(',')))";
    const out = execFileSync(process.execPath, ['-e', script], { cwd: project, encoding: 'utf8' });
    expect(out.trim()).toBe('function,function,4');
  });
});
