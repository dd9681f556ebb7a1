import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Manifest } from '../../src/gather/manifest.js';
import type { RuntimeName } from '../../src/runtime/types.js';
import { describeWithEngine, ENGINES, engine, engineLogBytes, removeContainers, tempDir, TEST_IMAGE, uniqueService } from '../helpers/engines.js';
import { runBin, type CliRun } from '../helpers/run-cli.js';

/*
 * Real containers that fail the ways integration suites fail (out of memory, a migration that errors, a
 * service that cannot reach its database, a database still starting, a health check that never passes, a
 * SIGTERM), next to healthy ones; the CLI must say which failed, why, and with which line, in the first
 * screen of SUMMARY.md, in the terminal digest, in manifest.json's findings and in `must-gather report`.
 */

const MAIN_SOURCE = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
/** `must-gather report` exists when the CLI dispatches a `report` command. */
const HAS_REPORT_COMMAND = /^\s*report\s*:/m.test(readFileSync(MAIN_SOURCE, 'utf8'));

const MIGRATION_ERROR = 'ERROR: relation "audit_events" does not exist';
const REFUSED = 'dial tcp 127.0.0.1:5432: connect: connection refused';
const REFUSED_TIMES = 300;
const STARTING_UP = 'FATAL:  the database system is starting up';
const HEALTH_OUTPUT = 'pg_isready: no response';
const OOM_LAST_LINE = 'loading 64 MB of fixtures into memory';
const SIGTERM_LINE = 'received SIGTERM, shutting down';

/** Run an engine command whose exit code is expected to be non-zero at times (`healthcheck run`). */
function engineStatus(name: RuntimeName, args: readonly string[]): { status: number | null; stdout: string } {
  const r = spawnSync(name, args, { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout };
}

function inspectField(name: RuntimeName, container: string, template: string): string {
  return engine(name, ['inspect', '--format', template, container]).trim();
}

/** Poll until `check` holds; a bound on waiting for the engine, not a timing assertion. */
async function waitUntil(what: string, check: () => boolean, attempts = 600): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (check()) return;
    await sleep(100);
  }
  throw new Error(`gave up waiting: ${what}`);
}

/** The entry of `container` in SUMMARY.md's numbered Problems list: its line and the bullets under it. */
function problemEntry(lines: readonly string[], container: string): string[] {
  const start = lines.findIndex((l) => new RegExp(`^\\d+\\. \\*\\*${container}\\*\\* — `).test(l));
  if (start === -1) return [];
  const end = lines.findIndex((l, i) => i > start && !l.startsWith('   '));
  return lines.slice(start, end === -1 ? undefined : end);
}

/** The digest block of a run's stderr: from its title line to the line before the `saved …` report. */
function digestOf(stderr: string, service: string): string {
  const lines = stderr.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`${service}: `));
  const end = lines.findIndex((l, i) => i > start && l.startsWith('saved '));
  return lines.slice(start, end).join('\n');
}

for (const name of ENGINES) {
  describeWithEngine(name, 'triage: what failed, why, and the line that says so', () => {
    const service = uniqueService('mgtri');
    const c = {
      oom: `${service}_cache_test`,
      migrate: `${service}_migrate_test`,
      api: `${service}_api_test`,
      postgres: `${service}_postgres_test`,
      unhealthy: `${service}_redis_test`,
      sigterm: `${service}_worker_test`,
      running: `${service}_mock_test`,
      exited0: `${service}_seed_test`,
    };
    const all = Object.values(c);
    /** Whether the engine itself recorded State.OOMKilled for the container the kernel OOM-killed. */
    let engineOomKilled: boolean;
    let base: string;
    let cli: CliRun;
    let dir: string;
    let summary: string;
    let manifest: Manifest;

    const run = (container: string, flags: readonly string[], script: string): void => {
      engine(name, ['run', '-d', '--name', container, ...flags, TEST_IMAGE, 'sh', '-c', script]);
    };
    const logText = (container: string): string => engineLogBytes(name, container).toString('utf8');

    beforeAll(async () => {
      // Out of memory for real: the shell holds 64 MB in a variable under a 16 MB limit (no swap).
      run(c.oom, ['--memory', '16m', '--memory-swap', '16m'], `echo "${OOM_LAST_LINE}"; x=$(yes | head -c 64000000); echo "loaded \${#x} bytes"`);
      run(c.migrate, [], `echo "applying migration 0042_audit_events"; echo '${MIGRATION_ERROR}' >&2; exit 1`);
      run(
        c.api,
        [],
        `echo "api starting"; i=1; while [ $i -le ${REFUSED_TIMES} ]; do echo "attempt $i: failed to connect to postgres: ${REFUSED}"; i=$((i+1)); done; echo "api waiting"; sleep 3600`,
      );
      run(
        c.postgres,
        [],
        `echo "2026-11-22 02:00:00.100 UTC [1] LOG:  starting PostgreSQL 16.4"; echo "2026-11-22 02:00:00.200 UTC [42] ${STARTING_UP}"; echo "2026-11-22 02:00:01.000 UTC [1] LOG:  database system is ready to accept connections"; sleep 3600`,
      );
      run(c.unhealthy, ['--health-cmd', `echo "${HEALTH_OUTPUT}"; exit 1`, '--health-interval', '1s', '--health-retries', '2'], 'echo "Ready to accept connections"; sleep 3600');
      run(c.sigterm, [], `trap 'echo "${SIGTERM_LINE}"; exit 143' TERM; echo "worker ready"; sleep 3600 & wait`);
      run(c.running, [], 'echo "mock listening on :8080"; sleep 3600');
      run(c.exited0, [], 'echo "seeded 12 rows"; exit 0');

      for (const done of [c.oom, c.migrate, c.exited0]) engine(name, ['wait', done]);
      await waitUntil(`${c.api} logged ${REFUSED_TIMES} refusals`, () => logText(c.api).includes('api waiting'));
      await waitUntil(`${c.postgres} logged`, () => logText(c.postgres).includes('ready to accept connections'));
      await waitUntil(`${c.running} logged`, () => logText(c.running).includes('mock listening'));
      await waitUntil(`${c.sigterm} set its trap`, () => logText(c.sigterm).includes('worker ready'));
      engine(name, ['kill', '--signal', 'TERM', c.sigterm]);
      engine(name, ['wait', c.sigterm]);

      if (name === 'podman') {
        // podman 4.3 schedules health checks with systemd timers; without systemd (as here: "unable to get
        // systemd connection to add healthchecks") no check ever runs by itself, so run them as the timer would.
        for (let i = 0; i < 3; i++) engineStatus(name, ['healthcheck', 'run', c.unhealthy]);
      }
      await waitUntil(`${c.unhealthy} unhealthy`, () => inspectField(name, c.unhealthy, '{{.State.Health.Status}}') === 'unhealthy');

      engineOomKilled = inspectField(name, c.oom, '{{.State.OOMKilled}}') === 'true';
      base = tempDir();
      cli = await runBin([service, '--runtime', name, '--output-dir', base, '--archive']);
      dir = cli.stdout.split('\n')[0] ?? '';
      summary = readFileSync(join(dir, 'SUMMARY.md'), 'utf8');
      manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    });
    afterAll(() => removeContainers(name, all));

    /**
     * The reason each failed container must be given, worst first. The OOM kill is one on both engines, by its
     * events (events.jsonl): docker's oom event (or its State.OOMKilled), and on podman, which sends no oom event
     * and records OOMKilled false, a 137 under the memory limit that the engine did not cause.
     */
    const expectedFailures = (): { container: string; kind: string; reason: RegExp; line: string }[] => [
      name === 'docker'
        ? { container: c.oom, kind: 'oom', reason: /^exit 137 — killed for using too much memory \((OOMKilled|the engine's oom event at \d\d:\d\d:\d\d UTC)\)$/, line: OOM_LAST_LINE }
        : { container: c.oom, kind: 'oom', reason: /^exit 137 — out of memory \(SIGKILL at \d\d:\d\d:\d\d UTC under its 16\.0 MiB memory limit, with no kill or stop by the engine before it\)$/, line: OOM_LAST_LINE },
      { container: c.sigterm, kind: 'killed', reason: /^exit 143 — terminated \(SIGTERM\)$/, line: SIGTERM_LINE },
      { container: c.migrate, kind: 'exited', reason: /^exited with code 1$/, line: MIGRATION_ERROR },
      { container: c.unhealthy, kind: 'unhealthy', reason: /^unhealthy — (health check failed \d+ times in a row|last health check failed)( \(first unhealthy at \d\d:\d\d:\d\d UTC\))?$/, line: `exit 1: ${HEALTH_OUTPUT}` },
    ];

    it('the engines really failed these containers the intended ways', () => {
      expect(inspectField(name, c.oom, '{{.State.ExitCode}}')).toBe('137');
      // Whether the engine recorded State.OOMKilled is the engine's business, and must-gather's verdict follows it
      // (asserted below, both ways). docker 20.10 usually records the kernel's memory-cgroup kill, but not always:
      // in one CI run here it said false for the same kind of kill (its exit event can arrive without the flag
      // after the OOM event set it). podman 4.3.1 with cgroupfs on this cgroup-v1 host enforces --memory (the
      // kernel logs "Memory cgroup out of memory: Killed process … (sh)" and the container exits 137) but conmon
      // does not notice the OOM event, so State.OOMKilled stays false (and podman sends no oom event).
      expect(inspectField(name, c.migrate, '{{.State.ExitCode}}')).toBe('1');
      expect(inspectField(name, c.sigterm, '{{.State.ExitCode}}')).toBe('143');
      expect(inspectField(name, c.exited0, '{{.State.ExitCode}}')).toBe('0');
      expect(inspectField(name, c.running, '{{.State.Status}}')).toBe('running');
    });

    it('the CLI exits 0 and prints the run folder and archive on stdout', () => {
      expect({ code: cli.code, stderr: cli.code === 0 ? '' : cli.stderr }).toEqual({ code: 0, stderr: '' });
      expect(cli.stdout).toBe(`${dir}\n${dir}.tar.gz\n`);
      expect(dir.startsWith(`${base}/${service}-integration-`)).toBe(true);
    });

    it('the first 40 lines of SUMMARY.md name each failed container, its reason in words and its decisive line, worst first', () => {
      const first = summary.split('\n').slice(0, 40);
      expect(first[0]).toBe(`# ${service}: 4 of 8 containers failed`);
      const failures = expectedFailures();
      const numbered = first.filter((l) => /^\d+\. \*\*/.test(l)).map((l) => /^\d+\. \*\*([^*]+)\*\*/.exec(l)?.[1]);
      expect(numbered).toEqual(failures.map((f) => f.container));
      for (const f of failures) {
        const entry = problemEntry(first, f.container);
        const reason = entry[0]?.replace(/^\d+\. \*\*[^*]+\*\* — /, '');
        expect({ container: f.container, reason }).toEqual({ container: f.container, reason: expect.stringMatching(f.reason) });
        // The decisive line, as a code span, in the entry's bullets.
        expect({ container: f.container, bullets: entry.slice(1).join('\n') }).toEqual({
          container: f.container,
          bullets: expect.stringContaining(`: \`${f.line}\``),
        });
      }
    });

    it('SUMMARY.md lists the containers that logged errors without failing, with the decisive line counted, not repeated', () => {
      const first = summary.split('\n').slice(0, 40);
      const api = first.find((l) => l.startsWith(`- **${c.api}** — `));
      expect(api).toBeDefined();
      expect(api).toContain(`${REFUSED_TIMES} errors`);
      expect(api).toContain(`attempt 1: failed to connect to postgres: ${REFUSED}\``);
      expect(api).toMatch(new RegExp(`\\(${REFUSED_TIMES}×, lines 2–${REFUSED_TIMES + 1}\\)`));
      const postgres = first.find((l) => l.startsWith(`- **${c.postgres}** — `));
      expect(postgres).toContain('1 error');
      expect(postgres).toContain(`[42] ${STARTING_UP}\``);
      // 300 refusals in the log: one line with its count in the first screen; in the whole summary only the
      // details' context blocks (first and last error, two lines around each) and the "Repeated" entry add to it.
      expect(first.join('\n').split(REFUSED).length - 1).toBe(1);
      expect(summary.split(REFUSED).length - 1).toBeLessThanOrEqual(10);
    });

    it('healthy containers are not listed as problems, and are marked healthy in the table', () => {
      const lines = summary.split('\n');
      const problemsEnd = lines.findIndex((l) => l === '## Containers');
      const verdict = lines.slice(0, problemsEnd).join('\n');
      for (const healthy of [c.running, c.exited0]) {
        expect(verdict).not.toContain(healthy);
        expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^\\| ✓ \`${healthy}\` \\|`)));
      }
      for (const f of expectedFailures()) expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^\\| ✗ \`${f.container}\` \\|`)));
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^\\| ! \`${c.api}\` \\|`)));
    });

    it('the stderr digest names the failed containers, their reasons and decisive lines; healthy ones get a check mark', () => {
      const digest = digestOf(cli.stderr, service);
      expect(digest.split('\n')[0]).toMatch(new RegExp(`^${service}: 4 of 8 containers failed  \\(${name} `));
      const rows = digest.split('\n');
      for (const f of expectedFailures()) {
        const at = rows.findIndex((l) => l.startsWith(`  ✗ ${f.container} `));
        expect({ container: f.container, found: at >= 0 }).toEqual({ container: f.container, found: true });
        const head = rows[at] ?? '';
        const reason = head.slice(`  ✗ ${f.container}`.length).trim().replace(/ · .*$/, '');
        expect(reason).toMatch(f.reason);
        expect(rows[at + 1]).toContain(f.line);
      }
      for (const healthy of [c.running, c.exited0]) expect(rows).toContainEqual(expect.stringMatching(new RegExp(`^  ✓ ${healthy} `)));
      const api = rows.findIndex((l) => l.startsWith(`  ! ${c.api} `));
      expect(rows[api]).toContain(`${REFUSED_TIMES} errors`);
      expect(rows[api + 1]).toContain(`${REFUSED} (${REFUSED_TIMES}×, lines 2–${REFUSED_TIMES + 1})`);
      expect(digest.split(REFUSED).length - 1).toBe(1);
      const pg = rows.findIndex((l) => l.startsWith(`  ! ${c.postgres} `));
      expect(rows[pg + 1]).toContain(STARTING_UP);
    });

    it('manifest.json findings list exactly the failed containers, worst first, with kinds and the log findings', () => {
      const findings = manifest.findings;
      expect(findings).not.toBeNull();
      expect(findings?.failed).toEqual(expectedFailures().map((f) => f.container));
      const byName = new Map(findings?.containers.map((x) => [x.name, x]));
      for (const f of expectedFailures()) {
        const entry = byName.get(f.container);
        expect(entry?.problems.map((p) => p.kind)).toEqual([f.kind]);
        expect(entry?.problems[0]?.reason).toMatch(f.reason);
        expect(entry?.problems[0]?.evidence?.text).toBe(f.line);
      }
      expect(byName.get(c.unhealthy)?.problems[0]?.evidence?.source).toBe('health-check');
      expect(byName.get(c.unhealthy)?.health?.status).toBe('unhealthy');
      expect(byName.get(c.migrate)?.log?.firstError?.text).toBe(MIGRATION_ERROR);
      for (const healthy of [c.running, c.exited0, c.api, c.postgres]) expect(byName.get(healthy)?.problems).toEqual([]);
      const refused = byName.get(c.api)?.log?.findings.find((x) => x.text.includes(REFUSED));
      expect(refused).toMatchObject({ level: 'error', count: REFUSED_TIMES, firstLine: 2, lastLine: REFUSED_TIMES + 1 });
      expect(byName.get(c.api)?.log?.errors).toBe(REFUSED_TIMES);
      expect(byName.get(c.postgres)?.log?.firstError).toMatchObject({ kind: 'postgres', level: 'error' });
      expect(byName.get(c.postgres)?.log?.firstError?.text).toContain(STARTING_UP);
      const oomRecord = manifest.containers.find((x) => x.name === c.oom);
      expect(oomRecord).toMatchObject({ exitCode: 137, oomKilled: engineOomKilled, state: 'exited' });
    });

    it('over the CLI transport the same containers fail the same ways', async () => {
      const again = await runBin([service, '--runtime', name, '--transport', 'cli', '--output-dir', tempDir(), '--json', '-q']);
      expect(again.code).toBe(0);
      const parsed = JSON.parse(again.stdout) as { findings: NonNullable<Manifest['findings']> };
      expect(parsed.findings.failed).toEqual(manifest.findings?.failed);
      const kinds = (f: NonNullable<Manifest['findings']>) => f.containers.map((x) => ({ name: x.name, kinds: x.problems.map((p) => p.kind) }));
      expect(kinds(parsed.findings)).toEqual(kinds(manifest.findings as NonNullable<Manifest['findings']>));
    });

    // `must-gather report` (src/cli/report.ts). TODO: if the command is removed from src/cli/main.ts, this is skipped.
    it.skipIf(!HAS_REPORT_COMMAND)('`must-gather report <folder>` and `report <archive>` re-render the same problems', async () => {
      const digest = await runBin(['report', dir]);
      expect({ code: digest.code, stderr: digest.stderr }).toEqual({ code: 0, stderr: '' });
      expect(digest.stdout.trimEnd()).toBe(digestOf(cli.stderr, service));
      const markdown = await runBin(['report', '--markdown', dir]);
      expect(markdown.code).toBe(0);
      expect(markdown.stdout).toBe(summary);
      const fromArchive = await runBin(['report', '--markdown', `${dir}.tar.gz`]);
      expect(fromArchive.code).toBe(0);
      expect(fromArchive.stdout).toBe(summary);
      const json = await runBin(['report', '--json', dir]);
      expect(json.code).toBe(0);
      expect((JSON.parse(json.stdout) as NonNullable<Manifest['findings']>).failed).toEqual(manifest.findings?.failed);
    });
  });
}
