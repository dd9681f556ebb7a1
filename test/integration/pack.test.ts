import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/engines.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; exports: Record<string, unknown> };
const npm = (args: readonly string[], cwd: string): string =>
  execFileSync('npm', [...args], { cwd, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'error' }, stdio: ['ignore', 'pipe', 'pipe'] });
const node = (args: readonly string[], cwd: string): string => execFileSync(process.execPath, [...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Every entry of package.json `exports`, as a user names it: `.` → `must-gather`, `./jest` → `must-gather/jest`. */
const ENTRIES = Object.keys(PKG.exports);
const specifier = (entry: string): string => (entry === '.' ? PKG.name : `${PKG.name}/${entry.slice(2)}`);

/**
 * What each entry is documented to give at run time, as an expression over the loaded module `m` and its
 * value. A new entry in package.json is loaded by the probes below without a row here, and the
 * "every entry has an expectation" test asks for one.
 */
const EXPECTED: Record<string, readonly [expression: string, value: unknown]> = {
  '.': [
    "[typeof m.gather, typeof m.selectContainers, typeof m.detectRuntime, typeof m.CliRuntime, m.ExitCode.NO_MATCH, new m.UsageError('x') instanceof m.MustGatherError, new m.NoEngineError([]).code]",
    ['function', 'function', 'function', 'function', 4, true, 'NO_ENGINE'],
  ],
  './vitest': [
    "[typeof m.mustGatherReporter, typeof m.gatherOnTeardown, typeof m.testRunFromVitest, typeof m.mustGatherReporter({ service: 's' }).onTestRunEnd]",
    ['function', 'function', 'function', 'function'],
  ],
  './jest': [
    '[typeof m.default, m.default === m.MustGatherReporter, typeof m.gatherInGlobalTeardown, typeof m.testRunFromJest]',
    ['function', true, 'function', 'function'],
  ],
  './mocha': [
    "[typeof m.mustGatherHooks, typeof m.testRunFromMocha, typeof m.mustGatherHooks({ service: 's' }).afterAll]",
    ['function', 'function', 'function'],
  ],
  './playwright': [
    '[typeof m.default, m.default === m.MustGatherReporter, typeof m.gatherInGlobalTeardown, typeof m.testRunFromPlaywright]',
    ['function', true, 'function', 'function'],
  ],
  './integrations': [
    '[typeof m.gatherForTests, typeof m.gatherAndReport, typeof m.shouldGather, typeof m.runOnce, typeof m.resolveWhen, m.TEST_RUN_FILE, m.GATHER_WHEN]',
    ['function', 'function', 'function', 'function', 'function', 'test-run.json', ['always', 'on-failure', 'never']],
  ],
  './package.json': ['[m.name, m.version]', [PKG.name, PKG.version]],
};

type Loaded = { error: string | null; check: unknown; names: string[]; sameAsImport?: boolean };

/**
 * A script that loads every entry — with `require()` in CommonJS, `import()` in an ES module — and prints,
 * per entry, the load error (code and message), the value of its EXPECTED expression and its export names.
 * The CommonJS one also `import()`s each JavaScript entry and tells whether both give the very same values
 * (one copy of the module, not two: `instanceof UsageError` holds whichever way it was loaded).
 */
function probeSource(format: 'commonjs' | 'module'): string {
  const checks = Object.fromEntries(ENTRIES.map((e) => [specifier(e), EXPECTED[e]?.[0] ?? 'null']));
  const load =
    format === 'commonjs'
      ? 'async (s) => require(s)'
      : "async (s) => s.endsWith('.json') ? (await import(s, { with: { type: 'json' } })).default : import(s)";
  return `const checks = ${JSON.stringify(checks)};
const load = ${load};
const names = (m) => Object.keys(m).filter((k) => k !== '__esModule').sort();
const main = async () => {
  const out = {};
  for (const [s, expression] of Object.entries(checks)) {
    try {
      const m = await load(s);
      out[s] = { error: null, check: new Function('m', 'return ' + expression)(m), names: names(m) };
      ${format === 'commonjs' ? "if (!s.endsWith('.json')) { const ns = await import(s); out[s].sameAsImport = names(ns).every((k) => ns[k] === m[k]); }" : ''}
    } catch (error) {
      out[s] = { error: error.code + ': ' + String(error.message).split('\\n')[0], check: null, names: [] };
    }
  }
  process.stdout.write(JSON.stringify(out));
};
main();
`;
}

/** A vitest.config.js as its docs show it: imports the library and the reporter. */
const VITEST_CONFIG = `import { gather } from '${PKG.name}';
import { mustGatherReporter } from '${PKG.name}/vitest';
export default { test: { reporters: ['default', mustGatherReporter({ service: 'scratch' })] }, gatherIs: typeof gather };
`;

/** What `npm pack` publishes, installed into scratch projects and used as a user would. */
describe('published package', () => {
  let files: string[];
  const projects = { commonjs: '', module: '' };
  let packDir = '';

  beforeAll(() => {
    packDir = tempDir('must-gather-pack-');
    // --ignore-scripts: prepack's build would empty dist/ while the other suites run the bin from it (npm test
    // has just built it).
    const packed = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], ROOT)) as { filename: string; files: { path: string }[] }[];
    files = (packed[0]?.files ?? []).map((f) => f.path).sort();
    const tarball = join(packDir, readdirSync(packDir)[0] as string);
    for (const type of ['commonjs', 'module'] as const) {
      // "commonjs" is what `npm init -y` writes (npm 11); "module" what an ESM project declares.
      const project = tempDir(`must-gather-scratch-${type}-`);
      writeFileSync(join(project, 'package.json'), JSON.stringify({ name: `scratch-${type}`, version: '1.0.0', private: true, type }));
      npm(['install', '--no-audit', '--no-fund', tarball], project);
      // probe.js is read as the project's "type" says; .cjs and .mjs are each their own format wherever they are.
      writeFileSync(join(project, 'probe.js'), probeSource(type));
      writeFileSync(join(project, 'probe.cjs'), probeSource('commonjs'));
      writeFileSync(join(project, 'probe.mjs'), probeSource('module'));
      writeFileSync(join(project, 'vitest.config.js'), VITEST_CONFIG);
      projects[type] = project;
    }
  }, 300_000);

  afterAll(() => {
    for (const dir of [packDir, ...Object.values(projects)]) if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

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
    const help = execFileSync('npx', ['--no-install', 'must-gather', '--help'], { cwd: projects.module, encoding: 'utf8' });
    expect(help).toContain('Usage: must-gather [options] <service> [components...]');
    expect(help).toMatch(/4 {2}no container matched/);
  });

  it('installs no ssh stack: dockerode (ssh:// only) is an optional peer, so no ssh2, no native build', () => {
    const manifest = JSON.parse(readFileSync(join(projects.commonjs, 'node_modules/must-gather/package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    expect(Object.keys(manifest.dependencies)).not.toContain('dockerode');
    expect(Object.keys(manifest.peerDependencies)).toEqual(['dockerode']);
    expect(manifest.peerDependenciesMeta.dockerode?.optional).toBe(true);
    for (const name of ['dockerode', 'docker-modem', 'ssh2', 'cpu-features', 'protobufjs', '@grpc/grpc-js']) {
      expect(existsSync(join(projects.commonjs, 'node_modules', name)), name).toBe(false);
    }
  });

  it('imports the library API by package name', () => {
    const script = "import('must-gather').then((m) => console.log([typeof m.gather, typeof m.selectContainers, m.ExitCode.NO_MATCH].join(',')))";
    expect(node(['-e', script], projects.module).trim()).toBe('function,function,4');
  });

  describe('every entry of package.json `exports`, by require() and by import', () => {
    const cache = new Map<string, Record<string, Loaded>>();
    const probe = (type: keyof typeof projects, file: string): Record<string, Loaded> => {
      const key = `${type}/${file}`;
      if (!cache.has(key)) cache.set(key, JSON.parse(node([file], projects[type])) as Record<string, Loaded>);
      return cache.get(key) as Record<string, Loaded>;
    };
    const PROBES = [
      ['commonjs', 'probe.cjs', 'require'],
      ['commonjs', 'probe.js', 'require'],
      ['commonjs', 'probe.mjs', 'import'],
      ['module', 'probe.mjs', 'import'],
      ['module', 'probe.js', 'import'],
      ['module', 'probe.cjs', 'require'],
    ] as const;

    it('has an expectation for every entry, and every entry has the same conditions, `types` first', () => {
      expect(Object.keys(EXPECTED).sort()).toEqual([...ENTRIES].sort());
      const conditions = Object.entries(PKG.exports)
        .filter(([, target]) => typeof target !== 'string')
        .map(([entry, target]) => [entry, Object.keys(target as object)] as const);
      const first = conditions[0]?.[1];
      expect(first?.[0]).toBe('types');
      expect(conditions).toEqual(conditions.map(([entry]) => [entry, first]));
    });

    it.each(PROBES)('"type": "%s" project, %s: %s() of each entry gives its documented exports', (type, file, how) => {
      const loaded = probe(type, file);
      const expected = Object.fromEntries(
        ENTRIES.map((e) => [specifier(e), { error: null, check: EXPECTED[e]?.[1] ?? 'an EXPECTED row', ...(how === 'require' && !e.endsWith('.json') ? { sameAsImport: true } : {}) }]),
      );
      expect(Object.fromEntries(Object.entries(loaded).map(([s, { names: _names, ...rest }]) => [s, rest]))).toEqual(expected);
    });

    it('require() and import give every entry the same export names', () => {
      for (const [type, file] of PROBES) {
        const names = Object.fromEntries(Object.entries(probe(type, file)).map(([s, l]) => [s, l.names]));
        expect({ probe: `${type}/${file}`, names }).toEqual({ probe: `${type}/${file}`, names: Object.fromEntries(Object.entries(probe('module', 'probe.mjs')).map(([s, l]) => [s, l.names])) });
      }
    });

    // The `types` condition is what TypeScript resolves for both: a CommonJS project with `module: nodenext`
    // (TypeScript >= 5.8 knows require(esm)) type-checks `import x = require(...)` of each entry.
    it('each JavaScript entry type-checks from a TypeScript .cts (require) and .mts (import), module nodenext', () => {
      const js = ENTRIES.filter((e) => !e.endsWith('.json'));
      writeFileSync(join(projects.commonjs, 'types.cts'), js.map((e, i) => `import m${i} = require('${specifier(e)}');\nexport type T${i} = typeof m${i};\n`).join(''));
      writeFileSync(join(projects.commonjs, 'types.mts'), js.map((e, i) => `import * as m${i} from '${specifier(e)}';\nexport type T${i} = typeof m${i};\n`).join(''));
      const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
      const args = [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--types', 'node', '--typeRoots', join(ROOT, 'node_modules', '@types'), 'types.cts', 'types.mts'];
      const result = spawnSync(process.execPath, args, { cwd: projects.commonjs, encoding: 'utf8' });
      expect(result.stdout + result.stderr).toBe('');
      expect(result.status).toBe(0);
    });

    // vitest loads vitest.config.js with vite's loader: bundled as CommonJS in a "type": "commonjs" project,
    // so its imports are resolved with the `require` conditions.
    it.each(['commonjs', 'module'] as const)('a vitest.config.js importing must-gather loads in a "type": "%s" project', (type) => {
      const vite = pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('vite')).href;
      const script = `import { loadConfigFromFile } from ${JSON.stringify(vite)};
const { config } = await loadConfigFromFile({ command: 'serve', mode: 'test' }, 'vitest.config.js', process.cwd(), 'silent');
console.log(JSON.stringify([config.gatherIs, typeof config.test.reporters[1].onTestRunEnd]));`;
      let out: string;
      try {
        out = node(['--input-type=module', '-e', script], projects[type]);
      } catch (error) {
        const stderr = String((error as { stderr?: string }).stderr);
        throw new Error(stderr.split('\n').find((line) => /^Error: (?!Build failed)/.test(line))?.slice('Error: '.length) ?? stderr, { cause: error });
      }
      expect(JSON.parse(out)).toEqual(['function', 'function']);
    });
  });
});
