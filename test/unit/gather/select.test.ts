import { describe, expect, it } from 'vitest';
import { availableNames, hasComponent, restAfterService, selectContainers, type Selector } from '../../../src/gather/select.js';
import type { ContainerSummary } from '../../../src/runtime/types.js';

function c(id: string, ...names: string[]): ContainerSummary {
  return { id, names, image: 'localhost/img:latest', state: 'exited' };
}

/** name → matchedBy, in output order. */
function picked(all: readonly ContainerSummary[], selector: Selector, labelled: readonly ContainerSummary[] = []) {
  const { selected, missing } = selectContainers(all, selector, labelled);
  return { picked: selected.map((s) => [s.name, s.matchedBy, s.summary.id] as const), missing };
}

describe('restAfterService', () => {
  const sp = ['signalprocessing'];

  it.each([
    ['signalprocessing_redis_test', 'redis_test'],
    ['signalprocessing-redis-test', 'redis-test'],
    ['signalprocessing_redis_1', 'redis_1'],
    ['signalprocessing-x', 'x'],
  ])('%s belongs to signalprocessing, rest %s', (name, rest) => {
    expect(restAfterService(name, sp)).toBe(rest);
  });

  it.each([
    'xsignalprocessing_redis_test',
    'gateway_postgres_test',
    'signalprocessing',
    'signalprocessing_',
    'signalprocessing-',
    'signalprocessingredis_test',
    'signalprocessing.redis_test',
    'Signalprocessing_redis_test',
    '',
  ])('%j does not belong to signalprocessing', (name) => {
    expect(restAfterService(name, sp)).toBeNull();
  });

  it('accepts any of several prefixes (aliases)', () => {
    expect(restAfterService('sp_redis_test', ['signalprocessing', 'sp'])).toBe('redis_test');
    expect(restAfterService('signalprocessing_redis_test', ['signalprocessing', 'sp'])).toBe('redis_test');
    expect(restAfterService('spx_redis_test', ['signalprocessing', 'sp'])).toBeNull();
  });

  it('returns null for no prefixes', () => {
    expect(restAfterService('signalprocessing_redis_test', [])).toBeNull();
  });
});

describe('hasComponent', () => {
  it.each([
    ['postgres_test', 'postgres', true],
    ['redis_postgres_test', 'postgres', true],
    ['test-postgres', 'postgres', true],
    ['postgresql_test', 'postgres', false],
    ['pg_postgre_test', 'postgres', false],
    ['mock-llm-hapi', 'mock-llm', true],
    ['mock_llm_hapi', 'mock-llm', true],
    ['x_mock-llm', 'mock_llm', true],
    ['mock-llmx-hapi', 'mock-llm', false],
    ['llm-mock', 'mock-llm', false],
    ['mock-x-llm', 'mock-llm', false],
    ['mock', 'mock-llm', false],
    ['Postgres_test', 'postgres', false],
  ])('hasComponent(%j, %j) is %s', (rest, component, expected) => {
    expect(hasComponent(rest, component)).toBe(expected);
  });
});

describe('selectContainers', () => {
  const all: ContainerSummary[] = [
    c('aaaaaaaaaaaa0001', 'signalprocessing_redis_test'),
    c('aaaaaaaaaaaa0002', 'signalprocessing-postgres-test'),
    c('aaaaaaaaaaaa0003', 'signalprocessing_redis_1'),
    c('aaaaaaaaaaaa0004', 'xsignalprocessing_redis_test'),
    c('aaaaaaaaaaaa0005', 'gateway_postgres_test'),
    c('aaaaaaaaaaaa0006', 'signalprocessing'),
    c('aaaaaaaaaaaa0007', 'signalprocessing_'),
    c('aaaaaaaaaaaa0008', 'sp_postgres_test'),
    c('aaaaaaaaaaaa0009', 'sp_postgresql_test'),
    c('aaaaaaaaaaaa0010', 'sp_mock-llm_test'),
  ];

  it('selects only containers named <service>_… or <service>-…, sorted by name', () => {
    expect(picked(all, { service: 'signalprocessing' })).toEqual({
      // Case-insensitive code-unit order: "-" before "_".
      picked: [
        ['signalprocessing-postgres-test', 'service', 'aaaaaaaaaaaa0002'],
        ['signalprocessing_redis_1', 'service', 'aaaaaaaaaaaa0003'],
        ['signalprocessing_redis_test', 'service', 'aaaaaaaaaaaa0001'],
      ],
      missing: [],
    });
  });

  it('sorts by name whatever the input order', () => {
    const list = [c('g1', 'sp_zeta'), c('g2', 'sp_B'), c('g3', 'sp_alpha'), c('g4', 'sp_a10'), c('g5', 'sp_a9')];
    const expected = ['sp_a10', 'sp_a9', 'sp_alpha', 'sp_B', 'sp_zeta'];
    expect(selectContainers(list, { service: 'sp' }).selected.map((s) => s.name)).toEqual(expected);
    expect(selectContainers([...list].reverse(), { service: 'sp' }).selected.map((s) => s.name)).toEqual(expected);
  });

  it('selects alias-prefixed containers too', () => {
    expect(picked(all, { service: 'signalprocessing', aliases: ['sp'] }).picked).toEqual([
      ['signalprocessing-postgres-test', 'service', 'aaaaaaaaaaaa0002'],
      ['signalprocessing_redis_1', 'service', 'aaaaaaaaaaaa0003'],
      ['signalprocessing_redis_test', 'service', 'aaaaaaaaaaaa0001'],
      ['sp_mock-llm_test', 'service', 'aaaaaaaaaaaa0010'],
      ['sp_postgres_test', 'service', 'aaaaaaaaaaaa0008'],
      ['sp_postgresql_test', 'service', 'aaaaaaaaaaaa0009'],
    ]);
  });

  it('narrows by components as whole tokens', () => {
    expect(picked(all, { service: 'signalprocessing', aliases: ['sp'], components: ['postgres'] }).picked).toEqual([
      ['signalprocessing-postgres-test', 'service', 'aaaaaaaaaaaa0002'],
      ['sp_postgres_test', 'service', 'aaaaaaaaaaaa0008'],
    ]);
  });

  it('narrows by a multi-token component', () => {
    expect(picked(all, { service: 'sp', components: ['mock-llm'] }).picked).toEqual([
      ['sp_mock-llm_test', 'service', 'aaaaaaaaaaaa0010'],
    ]);
  });

  it('keeps a container that holds any of the components, once', () => {
    const list = [c('b1', 'sp_redis_postgres'), c('b2', 'sp_redis_test'), c('b3', 'sp_postgres_test'), c('b4', 'sp_valkey_test'), c('b5', 'sp_postgresql_test')];
    expect(picked(list, { service: 'sp', components: ['redis', 'postgres'] }).picked).toEqual([
      ['sp_postgres_test', 'service', 'b3'],
      ['sp_redis_postgres', 'service', 'b1'],
      ['sp_redis_test', 'service', 'b2'],
    ]);
    // Components that match nothing leave the others' containers; all of them matching nothing selects none.
    expect(picked(list, { service: 'sp', components: ['nothing', 'valkey'] }).picked).toEqual([['sp_valkey_test', 'service', 'b4']]);
    expect(picked(list, { service: 'sp', components: ['nothing', 'postgre'] }).picked).toEqual([]);
  });

  it('keeps a labelled container that holds any of the components', () => {
    const labelled = [c('h1', 'compose_db_1'), c('h2', 'compose_cache_1'), c('h3', 'compose_web_1')];
    expect(picked([], { service: 'sp', components: ['db', 'cache'] }, labelled).picked).toEqual([
      ['compose_cache_1', 'label', 'h2'],
      ['compose_db_1', 'label', 'h1'],
    ]);
  });

  it('adds --container names exactly and reports the missing ones', () => {
    expect(
      picked(all, { service: 'signalprocessing', components: ['nothing'], containers: ['gateway_postgres_test', 'gateway_postgres', 'nope'] }),
    ).toEqual({
      picked: [['gateway_postgres_test', 'container', 'aaaaaaaaaaaa0005']],
      missing: ['gateway_postgres', 'nope'],
    });
  });

  it('accepts a --container name with a leading slash', () => {
    expect(picked(all, { service: 'none', containers: ['/gateway_postgres_test'] })).toEqual({
      picked: [['gateway_postgres_test', 'container', 'aaaaaaaaaaaa0005']],
      missing: [],
    });
  });

  it('adds --container IDs by prefix of at least 12 hex characters', () => {
    const list = [c('4c8589bccde8aa0123456789', 'other_one'), c('4c8589bccde9ff', 'other_two')];
    expect(picked(list, { service: 'none', containers: ['4c8589bccde8'] })).toEqual({
      picked: [['other_one', 'container', '4c8589bccde8aa0123456789']],
      missing: [],
    });
    expect(picked(list, { service: 'none', containers: ['4c8589bccde8aa0123456789'] }).picked).toEqual([
      ['other_one', 'container', '4c8589bccde8aa0123456789'],
    ]);
    // Shorter than 12 characters is not taken as an ID prefix.
    expect(picked(list, { service: 'none', containers: ['4c8589bccde'] })).toEqual({ picked: [], missing: ['4c8589bccde'] });
    // Not hex.
    expect(picked(list, { service: 'none', containers: ['4c8589bccdeg'] })).toEqual({ picked: [], missing: ['4c8589bccdeg'] });
    // A prefix of no ID.
    expect(picked(list, { service: 'none', containers: ['000000000000'] })).toEqual({ picked: [], missing: ['000000000000'] });
  });

  it('names an explicit container without a name by its short ID', () => {
    const list = [c('0123456789abcdef0123')];
    expect(picked(list, { service: 'none', containers: ['0123456789abcdef'] }).picked).toEqual([
      ['0123456789ab', 'container', '0123456789abcdef0123'],
    ]);
  });

  it('does not list a container twice when it matches several ways', () => {
    const result = selectContainers(
      all,
      { service: 'signalprocessing', containers: ['signalprocessing_redis_test', 'aaaaaaaaaaaa0001'] },
      [c('aaaaaaaaaaaa0001', 'signalprocessing_redis_test')],
    );
    expect(result.selected.map((s) => [s.name, s.matchedBy])).toEqual([
      ['signalprocessing-postgres-test', 'service'],
      ['signalprocessing_redis_1', 'service'],
      ['signalprocessing_redis_test', 'service'],
    ]);
    expect(result.missing).toEqual([]);
  });

  it('merges labelled containers, deduped by id', () => {
    const labelled = [c('cccccccccccc0001', 'compose_db_1'), c('aaaaaaaaaaaa0003', 'signalprocessing_redis_1'), c('cccccccccccc0001', 'compose_db_1')];
    const result = selectContainers(all, { service: 'signalprocessing', components: [] }, labelled);
    expect(result.selected.map((s) => [s.name, s.matchedBy, s.summary.id])).toEqual([
      ['compose_db_1', 'label', 'cccccccccccc0001'],
      ['signalprocessing-postgres-test', 'service', 'aaaaaaaaaaaa0002'],
      ['signalprocessing_redis_1', 'service', 'aaaaaaaaaaaa0003'],
      ['signalprocessing_redis_test', 'service', 'aaaaaaaaaaaa0001'],
    ]);
  });

  it('narrows labelled containers by components too', () => {
    const labelled = [c('d1', 'compose_db_1'), c('d2', 'compose_postgres_1'), c('d3', 'sp_postgres_2')];
    expect(picked([], { service: 'sp', components: ['postgres'] }, labelled).picked).toEqual([
      ['compose_postgres_1', 'label', 'd2'],
      ['sp_postgres_2', 'label', 'd3'],
    ]);
  });

  it('ignores docker link names containing "/"', () => {
    const list = [
      c('e1', 'gateway_web_1', 'signalprocessing_web_1/db'),
      c('e2', 'signalprocessing/x', 'signalprocessing_api_1'),
    ];
    expect(picked(list, { service: 'signalprocessing' }).picked).toEqual([['signalprocessing_api_1', 'service', 'e2']]);
    // An explicit name is matched against own names only.
    expect(picked(list, { service: 'none', containers: ['signalprocessing_web_1/db'] })).toEqual({
      picked: [],
      missing: ['signalprocessing_web_1/db'],
    });
    // A labelled container is named by its first own name.
    expect(picked([], { service: 'none' }, [c('e3', 'a/b', 'real_name')]).picked).toEqual([['real_name', 'label', 'e3']]);
  });

  it('uses the first matching own name of a container with several names', () => {
    const list = [c('f1', 'unrelated', 'sp_one', 'sp_two')];
    expect(picked(list, { service: 'sp' }).picked).toEqual([['sp_one', 'service', 'f1']]);
  });

  it('selects nothing from an empty list', () => {
    expect(selectContainers([], { service: 'sp' })).toEqual({ selected: [], missing: [] });
  });
});

describe('availableNames', () => {
  it('lists every own name once, sorted, without link names', () => {
    const list = [c('1', 'zeta', 'alpha/link'), c('2', 'beta', 'alpha'), c('3', 'beta'), c('4')];
    expect(availableNames(list)).toEqual(['alpha', 'beta', 'zeta']);
  });

  it('is empty for no containers', () => {
    expect(availableNames([])).toEqual([]);
  });
});
