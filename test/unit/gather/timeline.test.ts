import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { gather } from '../../../src/index.js';
import { loadRun } from '../../../src/triage/verdict.js';
import { LineTimes } from '../../../src/runtime/line-join.js';
import { EngineError, type ContainerRuntime, type LogOptions } from '../../../src/runtime/types.js';

/** A container of the fake engine: its lines, each with the engine's time. */
type FakeLog = readonly (readonly [time: string, text: string])[];

/**
 * An engine with `logs` by container name that delivers each line's time (as a runtime with `lineTimes`
 * does: queued before the line's bytes) and records the options each `logs` call got.
 */
function fakeEngine(logs: Readonly<Record<string, FakeLog>>, asked: LogOptions[]): ContainerRuntime {
  const names = Object.keys(logs);
  return {
    name: 'docker',
    transport: 'api',
    info: async () => ({ name: 'docker', transport: 'api', version: '20.10.24', endpoint: 'fake://' }),
    describe: async () => ({ versionInfo: {}, info: {} }),
    events: () => Readable.from([]),
    list: async () => names.map((name) => ({ id: `id-${name}`, names: [name], image: 'busybox', state: 'exited' })),
    inspect: async (id) => {
      const name = id.slice(3);
      return {
        id,
        name,
        image: 'busybox',
        state: 'exited',
        exitCode: 0,
        tty: false,
        oomKilled: false,
        restartCount: 0,
        createdAt: '2026-01-14T15:25:00Z',
        startedAt: '2026-01-14T15:25:00Z',
        finishedAt: '2026-01-14T15:26:00Z',
        labels: {},
        raw: { Id: id, Name: name, State: { Status: 'exited', ExitCode: 0 } },
      };
    },
    logs: (container, options) => {
      asked.push(options);
      const log = logs[container.id.slice(3)] ?? [];
      const times = options.lineTimes ? new LineTimes() : null;
      async function* lines(): AsyncGenerator<Buffer> {
        for (const [time, text] of log) {
          times?.push(time);
          yield Buffer.from(`${text}\n`);
        }
      }
      return { stream: Readable.from(lines()), finished: Promise.resolve(), times, source: () => 'api', linesCut: () => 0 };
    },
  };
}

const parent = mkdtempSync(join(tmpdir(), 'must-gather-timeline-gather-'));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

const LOGS = {
  svc_api_test: [
    ['2026-01-14T15:25:09.1Z', 'api starting'],
    ['2026-01-14T15:25:09.4Z', 'api ready'],
    ['2026-01-14T15:25:09.8Z', 'ERROR api: upstream svc_db_test refused the connection'],
  ],
  svc_db_test: [
    ['2026-01-14T15:25:09.2Z', 'db starting'],
    ['2026-01-14T15:25:09.5Z', 'ERROR db: could not open data file'],
    ['2026-01-14T15:25:09.9Z', 'db shutting down'],
  ],
  svc_cache_test: [
    ['2026-01-14T15:25:09.3Z', 'cache starting'],
    ['2026-01-14T15:25:09.6Z', 'cache ready'],
  ],
} satisfies Record<string, FakeLog>;

describe('gather() with two or more containers', () => {
  it('writes timeline.log in time order, lists it in manifest.json and the archive, and SUMMARY.md points at the first error', async () => {
    const asked: LogOptions[] = [];
    const outputDir = join(parent, 'three');
    const result = await gather({ service: 'svc', outputDir, archive: true, containerRuntime: fakeEngine(LOGS, asked) });
    const dir = result.outputDir as string;
    expect(asked.map((o) => o.lineTimes)).toEqual([true, true, true]);
    expect(readFileSync(join(dir, 'timeline.log'), 'utf8')).toBe(
      [
        '2026-01-14T15:25:09.100000000Z svc_api_test | api starting',
        '2026-01-14T15:25:09.200000000Z svc_db_test | db starting',
        '2026-01-14T15:25:09.300000000Z svc_cache_test | cache starting',
        '2026-01-14T15:25:09.400000000Z svc_api_test | api ready',
        '2026-01-14T15:25:09.500000000Z svc_db_test | ERROR db: could not open data file',
        '2026-01-14T15:25:09.600000000Z svc_cache_test | cache ready',
        '2026-01-14T15:25:09.800000000Z svc_api_test | ERROR api: upstream svc_db_test refused the connection',
        '2026-01-14T15:25:09.900000000Z svc_db_test | db shutting down',
        '',
      ].join('\n'),
    );
    // The logs themselves are untouched by the timeline.
    expect(readFileSync(join(dir, 'svc_db_test.log'), 'utf8')).toBe(LOGS.svc_db_test.map(([, t]) => `${t}\n`).join(''));

    const summary = readFileSync(join(dir, 'SUMMARY.md'), 'utf8').split('\n');
    const pointer = summary.slice(0, 6).find((l) => l.startsWith('first error:'));
    expect(pointer).toBe("first error: [timeline.log line 5](timeline.log), svc_db_test 2026-01-14T15:25:09.500000000Z (every container's lines in time order)");
    expect(readFileSync(join(dir, 'index.html'), 'utf8')).toContain('first error: <a href="timeline.log">timeline.log line 5</a>, svc_db_test 2026-01-14T15:25:09.500000000Z');

    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { timeline: Record<string, unknown> };
    expect(manifest.timeline).toMatchObject({
      path: 'timeline.log',
      bytes: readFileSync(join(dir, 'timeline.log')).length,
      lines: 8,
      containers: [
        { name: 'svc_api_test', lines: 3, leftOut: 0 },
        { name: 'svc_cache_test', lines: 2, leftOut: 0 },
        { name: 'svc_db_test', lines: 3, leftOut: 0 },
      ],
      missing: [],
      firstError: { line: 5, container: 'svc_db_test', time: '2026-01-14T15:25:09.500000000Z' },
    });
    expect(result.triage?.timeline?.firstError?.line).toBe(5);
    // `must-gather report` reads it back from manifest.json: the saved folder says the same.
    expect((await loadRun(dir)).timeline).toEqual({ path: 'timeline.log', lines: 8, firstError: { line: 5, container: 'svc_db_test', time: '2026-01-14T15:25:09.500000000Z' } });
    const listed = execFileSync('tar', ['-tzf', result.archivePath as string], { encoding: 'utf8' }).split('\n');
    expect(listed).toContain(`${dir.split('/').pop()}/timeline.log`);
    // The private folder beside the run folder is gone.
    expect(readdirSync(outputDir).sort()).toEqual([dir.split('/').pop(), `${dir.split('/').pop()}.tar.gz`]);
  });

  it('maps the first error through --max-log-size (a line of the .log\'s tail)', async () => {
    const many: [string, string][] = Array.from({ length: 200 }, (_, i) => [`2026-01-14T15:25:${String(10 + Math.floor(i / 10)).padStart(2, '0')}.${i % 10}Z`, `line ${String(i).padStart(3, '0')}`]);
    many[195] = [many[195]![0], 'ERROR late failure'];
    const asked: LogOptions[] = [];
    const result = await gather({
      service: 'svc',
      outputDir: join(parent, 'cut'),
      maxLogSize: 1000,
      containerRuntime: fakeEngine({ svc_big_test: many, svc_other_test: [['2026-01-14T15:25:09Z', 'other']] }, asked),
    });
    const dir = result.outputDir as string;
    const timeline = readFileSync(join(dir, 'timeline.log'), 'utf8').split('\n');
    const first = result.triage?.timeline?.firstError;
    expect(first?.container).toBe('svc_big_test');
    expect(timeline[(first?.line as number) - 1]).toBe(`2026-01-14T15:25:29.500000000Z svc_big_test | ERROR late failure`);
    // The timeline's own bound (here --max-log-size's 1000 bytes of its lines) left the first ones out, and says so.
    expect(timeline.some((l) => l.includes('svc_big_test | [must-gather: the first '))).toBe(true);
    expect(readFileSync(join(dir, 'svc_big_test.log'), 'utf8')).toContain('bytes cut here by --max-log-size');
  });

  it('writes no timeline.log for one container, and asks no engine for line times', async () => {
    const asked: LogOptions[] = [];
    const result = await gather({ service: 'svc', outputDir: join(parent, 'one'), containerRuntime: fakeEngine({ svc_api_test: LOGS.svc_api_test }, asked) });
    expect(asked.map((o) => o.lineTimes)).toEqual([undefined]);
    expect(existsSync(join(result.outputDir as string, 'timeline.log'))).toBe(false);
    const manifest = JSON.parse(readFileSync(join(result.outputDir as string, 'manifest.json'), 'utf8')) as { timeline: unknown };
    expect(manifest.timeline).toBeNull();
    expect(readFileSync(join(result.outputDir as string, 'SUMMARY.md'), 'utf8')).not.toContain('timeline.log');
  });

  it('leaves out, and names, a container whose engine gave no line times', async () => {
    const asked: LogOptions[] = [];
    const engine = fakeEngine(LOGS, asked);
    const logs = engine.logs.bind(engine);
    engine.logs = (container, options) => (container.id === 'id-svc_cache_test' ? { ...logs(container, options), times: null } : logs(container, options));
    const result = await gather({ service: 'svc', outputDir: join(parent, 'untimed'), containerRuntime: engine });
    const dir = result.outputDir as string;
    expect(readFileSync(join(dir, 'timeline.log'), 'utf8')).not.toContain('svc_cache_test');
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { timeline: { missing: unknown } };
    expect(manifest.timeline.missing).toEqual([{ name: 'svc_cache_test', error: 'the engine gave no timestamps for its lines' }]);
  });

  it('removes its private folder when a log fails half-way, and keeps the lines that had arrived', async () => {
    const asked: LogOptions[] = [];
    const engine = fakeEngine(LOGS, asked);
    const logs = engine.logs.bind(engine);
    engine.logs = (container, options) => {
      if (container.id !== 'id-svc_db_test') return logs(container, options);
      const times = new LineTimes();
      times.push('2026-01-14T15:25:09.2Z');
      // The engine sends one line, then the connection breaks.
      const stream = Readable.from([Buffer.from('db starting\n')]);
      const finished = Promise.reject(new EngineError('connection reset'));
      finished.catch(() => {}); // collection awaits it once the stream has ended
      return { stream, finished, times, source: () => 'api', linesCut: () => 0 };
    };
    const outputDir = join(parent, 'broken');
    const result = await gather({ service: 'svc', outputDir, containerRuntime: engine });
    const dir = result.outputDir as string;
    expect(result.containers.find((c) => c.name === 'svc_db_test')?.error).toBe('logs failed: connection reset');
    expect(readFileSync(join(dir, 'timeline.log'), 'utf8')).toContain('2026-01-14T15:25:09.200000000Z svc_db_test | db starting\n');
    expect(readdirSync(outputDir)).toEqual([dir.split('/').pop()]);
  });

  it('leaves out a log whose lines all lack a time, and writes no timeline.log when no log has times', async () => {
    const untimed = (log: FakeLog): FakeLog => log.map(([, text]) => ['', text] as const);
    const some = await gather({
      service: 'svc',
      outputDir: join(parent, 'some-untimed'),
      containerRuntime: fakeEngine({ ...LOGS, svc_cache_test: untimed(LOGS.svc_cache_test) }, []),
    });
    const manifest = JSON.parse(readFileSync(join(some.outputDir as string, 'manifest.json'), 'utf8')) as { timeline: { missing: unknown; lines: number } };
    expect(manifest.timeline.missing).toEqual([{ name: 'svc_cache_test', error: 'the engine gave no timestamps for its lines' }]);
    expect(manifest.timeline.lines).toBe(6);

    const none = await gather({
      service: 'svc',
      outputDir: join(parent, 'all-untimed'),
      containerRuntime: fakeEngine(Object.fromEntries(Object.entries(LOGS).map(([k, v]) => [k, untimed(v)])), []),
    });
    const dir = none.outputDir as string;
    expect(existsSync(join(dir, 'timeline.log'))).toBe(false);
    expect(none.warnings).toEqual([
      "timeline.log not written: none of the containers' lines came with engine timestamps (svc_api_test, svc_cache_test, svc_db_test)",
    ]);
    expect((JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { timeline: unknown }).timeline).toBeNull();
    expect(readFileSync(join(dir, 'SUMMARY.md'), 'utf8')).not.toContain('timeline.log');
    expect(readdirSync(join(parent, 'all-untimed'))).toEqual([dir.split('/').pop()]);
  });
});
