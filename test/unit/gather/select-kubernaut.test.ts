import { describe, expect, it } from 'vitest';
import { selectContainers, type Selector } from '../../../src/gather/select.js';
import type { ContainerSummary } from '../../../src/runtime/types.js';

/**
 * The container names kubernaut's integration suites use, all on one machine at once, as when several
 * services' suites run side by side. Every expected selection below is worked out by hand from the rule
 * (README, "Which containers"):
 *  - a name belongs to the service when it starts with the service or an alias followed by `_` or `-`;
 *  - components keep the names whose rest after that prefix holds ANY of them as whole `_`/`-` tokens;
 *  - `--container` adds an exact name whatever it is called, components or not.
 */
const SERVICES_WITH_THREE = [
  'aianalysis',
  'apifrontend',
  'gateway',
  'kaenrichment',
  'kainvestigator',
  'kamcp',
  'signalprocessing',
  'notification',
  'remediationorchestrator',
];

const CORPUS: readonly string[] = [
  ...SERVICES_WITH_THREE.flatMap((s) => [`${s}_postgres_test`, `${s}_redis_test`, `${s}_datastorage_test`]),
  'aianalysis_ka_test_1',
  'aianalysis_ka_test_2',
  'aianalysis_ka_test_3',
  'aianalysis_ka_test_4',
  'datastorage-postgres-test',
  'datastorage-redis-test',
  'mock-llm-aianalysis',
  'mock-llm-ka',
  'fmc_valkey_it_1',
  'fmc_kmcp_table_it',
  'fleet_mcp_gateway_it',
  'notification_postgres_1',
  'notification_migrations',
  'redis-gateway-test',
];

/** Each name gets an ID of its own; the input order is scrambled so sorting is tested too. */
const ALL: ContainerSummary[] = CORPUS.map((name, i) => ({
  id: `${i.toString(16).padStart(4, '0')}${'f'.repeat(60)}`,
  names: [name],
  image: 'localhost/img:latest',
  state: i % 3 === 0 ? 'running' : 'exited',
})).reverse();

const byName = new Map(ALL.map((c) => [c.names[0] as string, c]));
const labelled = (...names: string[]): ContainerSummary[] =>
  names.map((n) => {
    const summary = byName.get(n);
    if (!summary) throw new Error(`${n} is not in the corpus`);
    return summary;
  });

interface Row {
  readonly argv: string;
  readonly selector: Selector;
  /** Containers the engine returned for `--label` (a compose project, say). */
  readonly labelled?: readonly ContainerSummary[];
  /** Expected names, in output order (case-insensitive code-unit order: `-` before `_`, digits before letters). */
  readonly expected: readonly string[];
  readonly missing?: readonly string[];
}

const ROWS: readonly Row[] = [
  // Each service alone: its three, and nothing of its neighbours.
  {
    argv: 'signalprocessing',
    selector: { service: 'signalprocessing' },
    expected: ['signalprocessing_datastorage_test', 'signalprocessing_postgres_test', 'signalprocessing_redis_test'],
  },
  {
    argv: 'apifrontend',
    selector: { service: 'apifrontend' },
    expected: ['apifrontend_datastorage_test', 'apifrontend_postgres_test', 'apifrontend_redis_test'],
  },
  {
    argv: 'kaenrichment',
    selector: { service: 'kaenrichment' },
    expected: ['kaenrichment_datastorage_test', 'kaenrichment_postgres_test', 'kaenrichment_redis_test'],
  },
  {
    argv: 'kainvestigator',
    selector: { service: 'kainvestigator' },
    expected: ['kainvestigator_datastorage_test', 'kainvestigator_postgres_test', 'kainvestigator_redis_test'],
  },
  // `fmc_kmcp_table_it` starts with `fmc`, not `kamcp`.
  {
    argv: 'kamcp',
    selector: { service: 'kamcp' },
    expected: ['kamcp_datastorage_test', 'kamcp_postgres_test', 'kamcp_redis_test'],
  },
  {
    argv: 'remediationorchestrator',
    selector: { service: 'remediationorchestrator' },
    expected: ['remediationorchestrator_datastorage_test', 'remediationorchestrator_postgres_test', 'remediationorchestrator_redis_test'],
  },
  // `redis-gateway-test` starts with `redis`; `fleet_mcp_gateway_it` with `fleet`: neither belongs to gateway.
  {
    argv: 'gateway',
    selector: { service: 'gateway' },
    expected: ['gateway_datastorage_test', 'gateway_postgres_test', 'gateway_redis_test'],
  },
  {
    argv: 'gateway redis',
    selector: { service: 'gateway', components: ['redis'] },
    expected: ['gateway_redis_test'],
  },
  {
    argv: 'gateway --container redis-gateway-test',
    selector: { service: 'gateway', containers: ['redis-gateway-test'] },
    expected: ['gateway_datastorage_test', 'gateway_postgres_test', 'gateway_redis_test', 'redis-gateway-test'],
  },
  // As an alias, `redis` is a prefix like any other: only `redis-gateway-test` starts with `redis-`/`redis_`.
  {
    argv: 'gateway --alias redis',
    selector: { service: 'gateway', aliases: ['redis'] },
    expected: ['gateway_datastorage_test', 'gateway_postgres_test', 'gateway_redis_test', 'redis-gateway-test'],
  },

  // Components: any of them, not each.
  {
    argv: 'signalprocessing postgres redis',
    selector: { service: 'signalprocessing', components: ['postgres', 'redis'] },
    expected: ['signalprocessing_postgres_test', 'signalprocessing_redis_test'],
  },
  {
    argv: 'signalprocessing postgres redis datastorage',
    selector: { service: 'signalprocessing', components: ['postgres', 'redis', 'datastorage'] },
    expected: ['signalprocessing_datastorage_test', 'signalprocessing_postgres_test', 'signalprocessing_redis_test'],
  },
  // A component that matches nothing takes nothing away from the others.
  {
    argv: 'signalprocessing postgres valkey',
    selector: { service: 'signalprocessing', components: ['postgres', 'valkey'] },
    expected: ['signalprocessing_postgres_test'],
  },
  {
    argv: 'signalprocessing postgres postgres',
    selector: { service: 'signalprocessing', components: ['postgres', 'postgres'] },
    expected: ['signalprocessing_postgres_test'],
  },
  // `test` is a token of all three.
  {
    argv: 'signalprocessing test',
    selector: { service: 'signalprocessing', components: ['test'] },
    expected: ['signalprocessing_datastorage_test', 'signalprocessing_postgres_test', 'signalprocessing_redis_test'],
  },
  // Components are looked for after the prefix: the service's own name is not one of them.
  {
    argv: 'signalprocessing signalprocessing',
    selector: { service: 'signalprocessing', components: ['signalprocessing'] },
    expected: [],
  },
  // Whole tokens only: `postgre` and `gres` are in no name as a token.
  {
    argv: 'signalprocessing postgre gres',
    selector: { service: 'signalprocessing', components: ['postgre', 'gres'] },
    expected: [],
  },

  // aianalysis: its three plus one container per Ginkgo process; `mock-llm-aianalysis` has no prefix.
  {
    argv: 'aianalysis',
    selector: { service: 'aianalysis' },
    expected: [
      'aianalysis_datastorage_test',
      'aianalysis_ka_test_1',
      'aianalysis_ka_test_2',
      'aianalysis_ka_test_3',
      'aianalysis_ka_test_4',
      'aianalysis_postgres_test',
      'aianalysis_redis_test',
    ],
  },
  {
    argv: 'aianalysis --container mock-llm-aianalysis',
    selector: { service: 'aianalysis', containers: ['mock-llm-aianalysis'] },
    expected: [
      'aianalysis_datastorage_test',
      'aianalysis_ka_test_1',
      'aianalysis_ka_test_2',
      'aianalysis_ka_test_3',
      'aianalysis_ka_test_4',
      'aianalysis_postgres_test',
      'aianalysis_redis_test',
      'mock-llm-aianalysis',
    ],
  },
  {
    argv: 'aianalysis ka',
    selector: { service: 'aianalysis', components: ['ka'] },
    expected: ['aianalysis_ka_test_1', 'aianalysis_ka_test_2', 'aianalysis_ka_test_3', 'aianalysis_ka_test_4'],
  },
  // A multi-token component is consecutive tokens, whichever separator is typed.
  {
    argv: 'aianalysis ka-test-3 postgres',
    selector: { service: 'aianalysis', components: ['ka-test-3', 'postgres'] },
    expected: ['aianalysis_ka_test_3', 'aianalysis_postgres_test'],
  },
  {
    argv: 'aianalysis test-ka',
    selector: { service: 'aianalysis', components: ['test-ka'] },
    expected: [],
  },
  // `--container` is added whatever the components say.
  {
    argv: 'aianalysis postgres redis --container mock-llm-aianalysis',
    selector: { service: 'aianalysis', components: ['postgres', 'redis'], containers: ['mock-llm-aianalysis'] },
    expected: ['aianalysis_postgres_test', 'aianalysis_redis_test', 'mock-llm-aianalysis'],
  },
  // An alias `mock-llm` is a prefix like any other: it takes both mocks, `mock-llm-ka` too.
  {
    argv: 'aianalysis --alias mock-llm',
    selector: { service: 'aianalysis', aliases: ['mock-llm'] },
    expected: [
      'aianalysis_datastorage_test',
      'aianalysis_ka_test_1',
      'aianalysis_ka_test_2',
      'aianalysis_ka_test_3',
      'aianalysis_ka_test_4',
      'aianalysis_postgres_test',
      'aianalysis_redis_test',
      'mock-llm-aianalysis',
      'mock-llm-ka',
    ],
  },
  // …and components narrow the mocks too: their rests are `aianalysis` and `ka`.
  {
    argv: 'aianalysis --alias mock-llm datastorage',
    selector: { service: 'aianalysis', aliases: ['mock-llm'], components: ['datastorage'] },
    expected: ['aianalysis_datastorage_test'],
  },
  // `mock-llm-ka` does not start with `ka-`/`ka_`, nor does `kaenrichment_…` (an `e` follows `ka`).
  { argv: 'ka', selector: { service: 'ka' }, expected: [] },
  {
    argv: 'kainvestigator redis --container mock-llm-ka',
    selector: { service: 'kainvestigator', components: ['redis'], containers: ['mock-llm-ka'] },
    expected: ['kainvestigator_redis_test', 'mock-llm-ka'],
  },

  // datastorage: the dash names; `<service>_datastorage_test` starts with another service.
  {
    argv: 'datastorage',
    selector: { service: 'datastorage' },
    expected: ['datastorage-postgres-test', 'datastorage-redis-test'],
  },
  {
    argv: 'datastorage postgres',
    selector: { service: 'datastorage', components: ['postgres'] },
    expected: ['datastorage-postgres-test'],
  },
  {
    argv: 'datastorage redis_test',
    selector: { service: 'datastorage', components: ['redis_test'] },
    expected: ['datastorage-redis-test'],
  },

  // fleetmetadatacache: its containers carry two other prefixes.
  { argv: 'fleetmetadatacache', selector: { service: 'fleetmetadatacache' }, expected: [] },
  {
    argv: 'fleetmetadatacache --alias fmc --alias fleet',
    selector: { service: 'fleetmetadatacache', aliases: ['fmc', 'fleet'] },
    expected: ['fleet_mcp_gateway_it', 'fmc_kmcp_table_it', 'fmc_valkey_it_1'],
  },
  {
    argv: 'fleetmetadatacache --alias fmc --alias fleet valkey kmcp',
    selector: { service: 'fleetmetadatacache', aliases: ['fmc', 'fleet'], components: ['valkey', 'kmcp'] },
    expected: ['fmc_kmcp_table_it', 'fmc_valkey_it_1'],
  },
  // `mcp` is a token of `fleet_mcp_gateway_it` only; in `fmc_kmcp_table_it` it is part of `kmcp`.
  {
    argv: 'fleetmetadatacache --alias fmc --alias fleet mcp',
    selector: { service: 'fleetmetadatacache', aliases: ['fmc', 'fleet'], components: ['mcp'] },
    expected: ['fleet_mcp_gateway_it'],
  },
  // `gateway` is a token after the `fleet` prefix.
  {
    argv: 'fleetmetadatacache --alias fleet gateway',
    selector: { service: 'fleetmetadatacache', aliases: ['fleet'], components: ['gateway'] },
    expected: ['fleet_mcp_gateway_it'],
  },

  // notification: its three plus the legacy two.
  {
    argv: 'notification',
    selector: { service: 'notification' },
    expected: [
      'notification_datastorage_test',
      'notification_migrations',
      'notification_postgres_1',
      'notification_postgres_test',
      'notification_redis_test',
    ],
  },
  {
    argv: 'notification postgres',
    selector: { service: 'notification', components: ['postgres'] },
    expected: ['notification_postgres_1', 'notification_postgres_test'],
  },
  {
    argv: 'notification postgres migrations',
    selector: { service: 'notification', components: ['postgres', 'migrations'] },
    expected: ['notification_migrations', 'notification_postgres_1', 'notification_postgres_test'],
  },

  // `--container` names that no container has are reported, the rest is still selected.
  {
    argv: 'kamcp redis --container fmc_kmcp_table_it --container mock-llm-kamcp',
    selector: { service: 'kamcp', components: ['redis'], containers: ['fmc_kmcp_table_it', 'mock-llm-kamcp'] },
    expected: ['fmc_kmcp_table_it', 'kamcp_redis_test'],
    missing: ['mock-llm-kamcp'],
  },

  // Labelled containers are narrowed by the same rule: after the prefix when the name has one, else the
  // whole name. `mock-llm` (two tokens) is in the whole names of both mocks; `aianalysis_postgres_test`
  // has the prefix and its rest `postgres_test` does not hold `mock-llm`.
  {
    argv: 'aianalysis mock-llm --label project=ai',
    selector: { service: 'aianalysis', components: ['mock-llm'] },
    labelled: labelled('mock-llm-aianalysis', 'mock-llm-ka', 'aianalysis_postgres_test'),
    expected: ['mock-llm-aianalysis', 'mock-llm-ka'],
  },
  {
    argv: 'aianalysis postgres mock-llm --label project=ai',
    selector: { service: 'aianalysis', components: ['postgres', 'mock-llm'] },
    labelled: labelled('mock-llm-aianalysis', 'mock-llm-ka', 'aianalysis_postgres_test', 'redis-gateway-test'),
    expected: ['aianalysis_postgres_test', 'mock-llm-aianalysis', 'mock-llm-ka'],
  },
  // Without the prefix, the whole name counts, so `aianalysis` is found in `mock-llm-aianalysis`; with it,
  // only the rest, so `aianalysis_redis_test` is not kept by the component `aianalysis`.
  {
    argv: 'aianalysis aianalysis --label project=ai',
    selector: { service: 'aianalysis', components: ['aianalysis'] },
    labelled: labelled('mock-llm-aianalysis', 'aianalysis_redis_test'),
    expected: ['mock-llm-aianalysis'],
  },
  // `redis-gateway-test` by label, narrowed by `gateway`: no `gateway_`/`gateway-` prefix, so its whole name
  // counts and holds `gateway`.
  {
    argv: 'gateway gateway --label project=gw',
    selector: { service: 'gateway', components: ['gateway'] },
    labelled: labelled('redis-gateway-test', 'gateway_redis_test'),
    expected: ['redis-gateway-test'],
  },
  {
    argv: 'gateway --label project=gw',
    selector: { service: 'gateway' },
    labelled: labelled('redis-gateway-test', 'fleet_mcp_gateway_it'),
    expected: ['fleet_mcp_gateway_it', 'gateway_datastorage_test', 'gateway_postgres_test', 'gateway_redis_test', 'redis-gateway-test'],
  },
];

describe('selectContainers on the kubernaut names, all present at once', () => {
  it('has each name once', () => {
    expect(new Set(CORPUS).size).toBe(CORPUS.length);
    expect(CORPUS.length).toBe(27 + 4 + 2 + 2 + 3 + 2 + 1);
  });

  it.each(ROWS.map((row) => [row.argv, row] as const))('must-gather %s', (_argv, row) => {
    const { selected, missing } = selectContainers(ALL, row.selector, row.labelled ?? []);
    expect({ names: selected.map((s) => s.name), missing }).toEqual({ names: row.expected, missing: row.missing ?? [] });
    // Each selected container is the one of that name, listed once.
    for (const s of selected) expect(s.summary).toBe(byName.get(s.name));
    expect(new Set(selected.map((s) => s.summary.id)).size).toBe(selected.length);
  });

  it('says why each container was selected', () => {
    const { selected } = selectContainers(ALL, { service: 'aianalysis', components: ['postgres'], containers: ['mock-llm-aianalysis'] }, labelled('mock-llm-ka'));
    expect(selected.map((s) => [s.name, s.matchedBy])).toEqual([
      ['aianalysis_postgres_test', 'service'],
      ['mock-llm-aianalysis', 'container'],
    ]);
    const withLabel = selectContainers(ALL, { service: 'aianalysis', components: ['ka'] }, labelled('mock-llm-ka', 'aianalysis_ka_test_2'));
    expect(withLabel.selected.map((s) => [s.name, s.matchedBy])).toEqual([
      ['aianalysis_ka_test_1', 'service'],
      ['aianalysis_ka_test_2', 'service'],
      ['aianalysis_ka_test_3', 'service'],
      ['aianalysis_ka_test_4', 'service'],
      ['mock-llm-ka', 'label'],
    ]);
  });
});
