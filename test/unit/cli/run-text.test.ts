import { describe, expect, it } from 'vitest';
import type { ContainerRecord } from '../../../src/run-folder/manifest.js';
import type { GatherResult } from '../../../src/gather/gather.js';
import { formatContainerLine, formatNoMatch, formatRunReport } from '../../../src/cli/run-text.js';
import { NO_PAINT, type Paint } from '../../../src/render/paint.js';
import { formatBytes } from '../../../src/_util/units.js';

function record(overrides: Partial<ContainerRecord> & Pick<ContainerRecord, 'name'>): ContainerRecord {
  return {
    runtime: 'podman',
    id: 'aaaaaaaaaaaa',
    image: 'localhost/busybox:latest',
    state: 'running',
    exitCode: 0,
    oomKilled: false,
    restartCount: 0,
    startedAt: '2026-01-02T03:04:05Z',
    finishedAt: null,
    matchedBy: 'service',
    files: [],
    error: null,
    complete: true,
    ...overrides,
  };
}

function result(overrides: Partial<GatherResult> = {}): GatherResult {
  return {
    service: 'signalprocessing',
    outputDir: '/tmp/mg/signalprocessing-integration-20260102-030405',
    outputBase: null,
    archivePath: null,
    archiveError: null,
    runtime: { name: 'podman', transport: 'cli', version: '4.3.1', endpoint: 'podman', reason: 'podman answered' },
    runtimes: [{ name: 'podman', transport: 'cli', version: '4.3.1', endpoint: 'podman', reason: 'podman answered' }],
    containers: [],
    available: [],
    engines: [],
    missing: [],
    incomplete: false,
    interruption: null,
    warnings: [],
    triage: null,
    startedAt: '2026-01-02T03:04:05.000Z',
    finishedAt: '2026-01-02T03:04:06.000Z',
    ...overrides,
  };
}

const log = (bytes: number) => ({ path: 'x.log', kind: 'log' as const, bytes, sha256: '0'.repeat(64) });
const inspect = (bytes: number) => ({ path: 'x.inspect.json', kind: 'inspect' as const, bytes, sha256: '1'.repeat(64) });

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1, '1 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [5 * 1024 * 1024, '5.0 MiB'],
    [3 * 1024 ** 3, '3.0 GiB'],
    [2 * 1024 ** 4, '2.0 TiB'],
    [2048 * 1024 ** 4, '2048.0 TiB'],
  ])('%s → %j', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

describe('formatContainerLine', () => {
  it('shows mark, padded name, state and log size', () => {
    const c = record({ name: 'sp_db', state: 'running', files: [inspect(900), log(2048)] });
    expect(formatContainerLine(c, 8)).toBe(`  ✓ sp_db     ${'running'.padEnd(14)}  2.0 KiB`);
  });

  it('marks a non-zero exit and an OOM kill', () => {
    expect(formatContainerLine(record({ name: 'a', state: 'exited', exitCode: 1, files: [log(10)] }), 1)).toBe(
      `  ! a  ${'exited (1)'.padEnd(14)}  10 B`,
    );
    expect(formatContainerLine(record({ name: 'a', state: 'exited', exitCode: 137, oomKilled: true }), 1)).toBe(
      '  ! a  exited (OOM-killed, exit 137)  -',
    );
  });

  it('shows a collection error', () => {
    expect(formatContainerLine(record({ name: 'a', state: '', exitCode: null, error: 'container was removed' }), 1)).toBe(
      `  ✗ a  ${'unknown'.padEnd(14)}  -  container was removed`,
    );
  });

  it('paints through the given palette', () => {
    const tag = (t: string) => (s: string) => `<${t}>${s}</${t}>`;
    const paint: Paint = { red: tag('r'), green: tag('g'), yellow: tag('y'), dim: tag('d'), bold: tag('b') };
    expect(formatContainerLine(record({ name: 'a', files: [log(0)] }), 1, paint)).toBe(`  <g>✓</g> a  ${'running'.padEnd(14)}  <d>0 B</d>`);
    expect(formatContainerLine(record({ name: 'a', state: 'exited', exitCode: 2, error: 'e' }), 1, paint)).toBe(
      `  <r>✗</r> a  <y>${'exited (2)'.padEnd(14)}</y>  <d>-</d>  <r>e</r>`,
    );
  });
});

describe('formatRunReport', () => {
  it('lists each container, the exit codes, the folder and the archive', () => {
    const text = formatRunReport(
      result({
        containers: [
          record({ name: 'signalprocessing_redis_test', state: 'running', files: [log(1024)] }),
          record({ name: 'signalprocessing_postgres_test', state: 'exited', exitCode: 1, files: [log(5)] }),
        ],
        archivePath: '/tmp/mg/signalprocessing-integration-20260102-030405.tar.gz',
      }),
      NO_PAINT,
    );
    expect(text).toBe(
      [
        `  ✓ signalprocessing_redis_test     ${'running'.padEnd(14)}  1.0 KiB`,
        `  ! signalprocessing_postgres_test  ${'exited (1)'.padEnd(14)}  5 B`,
        '',
        'saved 2 containers, 1 exited non-zero to /tmp/mg/signalprocessing-integration-20260102-030405',
        'archive /tmp/mg/signalprocessing-integration-20260102-030405.tar.gz',
      ].join('\n'),
    );
  });

  it('uses NO_PAINT by default and says "container" for one', () => {
    const text = formatRunReport(result({ containers: [record({ name: 'ab', files: [log(3)] })] }));
    expect(text).toBe(`  ✓ ab    ${'running'.padEnd(14)}  3 B\n\nsaved 1 container to /tmp/mg/signalprocessing-integration-20260102-030405`);
  });

  it('reports failures, archive errors, interruption and missing names', () => {
    const text = formatRunReport(
      result({
        containers: [
          record({ name: 'sp_a', state: 'exited', exitCode: 3, error: 'logs failed' }),
          record({ name: 'sp_b', state: 'exited', exitCode: 0, files: [log(1)] }),
        ],
        archiveError: 'ENOSPC: no space left on device',
        interruption: 'timed out after 120 s (--timeout)',
        missing: ['mock-llm', 'gw_db'],
      }),
    );
    expect(text.split('\n')).toEqual([
      `  ✗ sp_a  ${'exited (3)'.padEnd(14)}  -  logs failed`,
      `  ✓ sp_b  ${'exited (0)'.padEnd(14)}  1 B`,
      '',
      'saved 2 containers, 1 exited non-zero, 1 not fully collected to /tmp/mg/signalprocessing-integration-20260102-030405',
      'archive failed: ENOSPC: no space left on device',
      'incomplete: timed out after 120 s (--timeout); manifest.json says what is missing',
      'no container named: mock-llm, gw_db',
    ]);
  });
});

describe('formatNoMatch', () => {
  const head = 'no container of "signalprocessing" found in podman (looked for <service>_… and <service>-…, running and exited).';

  it('says the engine has no containers', () => {
    expect(formatNoMatch(result({ outputDir: null }))).toBe(`${head}\npodman has no containers at all.`);
  });

  it('lists the names that exist', () => {
    expect(formatNoMatch(result({ outputDir: null, available: ['gateway_db_1', 'signalprocesing_redis_test'] }))).toBe(
      `${head}\nContainers that exist:\n  gateway_db_1\n  signalprocesing_redis_test`,
    );
  });

  it('shows exactly 50 names without a tail', () => {
    const available = Array.from({ length: 50 }, (_, i) => `c${String(i).padStart(2, '0')}`);
    const lines = formatNoMatch(result({ available })).split('\n');
    expect(lines).toHaveLength(52);
    expect(lines[2]).toBe('  c00');
    expect(lines[51]).toBe('  c49');
  });

  it('truncates beyond 50 names with "… and N more"', () => {
    const available = Array.from({ length: 57 }, (_, i) => `c${String(i).padStart(2, '0')}`);
    const lines = formatNoMatch(result({ available })).split('\n');
    expect(lines).toEqual([
      head,
      'Containers that exist:',
      ...available.slice(0, 50).map((n) => `  ${n}`),
      '  … and 7 more',
    ]);
    expect(lines).not.toContain('  c50');
  });

  it('honours a custom limit and names the runtime', () => {
    const text = formatNoMatch(
      result({ available: ['a', 'b', 'c'], runtime: { name: 'docker', transport: 'cli', version: '27', endpoint: 'docker', reason: 'r' } }),
      2,
    );
    expect(text).toBe(
      'no container of "signalprocessing" found in docker (looked for <service>_… and <service>-…, running and exited).\n' +
        'Containers that exist:\n  a\n  b\n  … and 1 more',
    );
  });
});

describe('formatBytes rounding at unit boundaries', () => {
  it('1048575 bytes reads 1.0 MiB, not 1024.0 KiB', () => {
    expect([formatBytes(1048575), formatBytes(1023), formatBytes(1024 * 1024 * 1024 - 1)]).toEqual(['1.0 MiB', '1023 B', '1.0 GiB']);
  });
});
