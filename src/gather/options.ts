import { UsageError } from '../_util/errors.js';
import { parseRedactPattern } from '../redact/index.js';
import { parseSize } from '../_util/units.js';
import { parseRuntimeChoice, parseTransportChoice } from '../runtime/detect.js';
import type { ContainerRuntime, LogOptions, RuntimeChoice, RuntimeName, TransportChoice, TransportName } from '../runtime/types.js';
import type { OutputBaseSource } from '../run-folder/write.js';
import { DEFAULT_CONCURRENCY, DEFAULT_OUTPUT_DIR, DEFAULT_TIMEOUT_MS } from './defaults.js';

export { DEFAULT_CONCURRENCY, DEFAULT_OUTPUT_DIR, DEFAULT_TIMEOUT_MS };

const MAX_CONCURRENCY = 64;
const MAX_TOKEN_LENGTH = 128;

/** Progress the library reports while it works; the CLI prints it, the library never does. */
export type ProgressEvent =
  | {
      readonly type: 'runtime';
      readonly name: RuntimeName;
      readonly transport: TransportName;
      readonly version: string;
      readonly endpoint: string;
      readonly reason: string;
    }
  | { readonly type: 'matched'; readonly names: readonly string[]; readonly outputDir: string }
  /**
   * No base folder was chosen and the default belongs to another user: the run writes to `dir`, this
   * user's private base, instead of `requested`; `reason` says whose the default is.
   */
  | { readonly type: 'output-base'; readonly dir: string; readonly requested: string; readonly reason: string }
  | { readonly type: 'container'; readonly name: string; readonly ok: boolean; readonly error: string | null }
  | { readonly type: 'archive'; readonly path: string }
  /** Something the user should know that did not stop the run, e.g. a DOCKER_HOST that did not answer. */
  | { readonly type: 'warning'; readonly message: string };

/** Options of {@link gather}. Only `service` is required. */
export interface GatherOptions extends LogOptions {
  /** The service under test: containers named `<service>_…` or `<service>-…` are collected. */
  readonly service: string;
  /**
   * Keep only containers whose name holds any of these as a whole `_`/`-` separated token (or, for a
   * component like `mock-llm`, consecutive tokens), looked for after the service prefix: `['postgres', 'redis']`
   * keeps `sp_postgres_test` and `sp_redis_test`, not `sp_postgresql_test`. Containers added by `labels` are
   * narrowed the same way (in the whole name when it has no service prefix); `containers` are kept regardless.
   */
  readonly components?: readonly string[];
  /** Other prefixes that mean the same service, e.g. `sp` for `signalprocessing`. */
  readonly aliases?: readonly string[];
  /** Exact container names (or IDs) to collect too, whatever they are called. */
  readonly containers?: readonly string[];
  /** Collect containers carrying these labels (`key=value` or `key`), e.g. a compose project. */
  readonly labels?: readonly string[];
  /** `auto` (default, or env MUST_GATHER_RUNTIME), `podman`, `docker`, or `all` (every engine that answers). */
  readonly runtime?: RuntimeChoice;
  /** `auto` (default, or env MUST_GATHER_TRANSPORT): the Engine API when a socket answers, else the CLI. */
  readonly transport?: TransportChoice;
  /**
   * Base folder; default env MUST_GATHER_DIR, else /tmp/kubernaut-must-gather — or, when that belongs to
   * another user, this user's /tmp/kubernaut-must-gather-<uid>.
   */
  readonly outputDir?: string;
  /** Also write `<folder>.tar.gz` beside the folder. */
  readonly archive?: boolean;
  /**
   * Also ask each engine for its full `info` document, for runtime.json (default false: podman takes
   * 0.15–0.28 s to make it, more than the rest of a small run).
   */
  readonly engineInfo?: boolean;
  /** Containers collected at once (default 4). */
  readonly concurrency?: number;
  /** Bound on the whole run in milliseconds (default 120 000). */
  readonly timeoutMs?: number;
  /** Bound on each container's inspect and on its log, in milliseconds (default: only the run's timeout). */
  readonly containerTimeoutMs?: number;
  /** Redact secrets in logs and inspect JSON (default true). */
  readonly redact?: boolean;
  /** More patterns to redact: regular expressions (or their source text, `/src/flags` accepted). */
  readonly redactPatterns?: readonly (string | RegExp)[];
  /** Keep at most this much of each log, head and tail, with a marker line where the middle was cut: bytes or `50MB`. */
  readonly maxLogSize?: number | string;
  /** What the test run knew (framework, failed tests), recorded in manifest.json as `testRun`. */
  readonly testRun?: unknown;
  /** Abort the run early (e.g. on SIGINT); what was collected is kept and marked. */
  readonly signal?: AbortSignal;
  /** Environment used for defaults and engine detection; default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Clock; default `() => new Date()`. */
  readonly now?: () => Date;
  readonly onProgress?: (event: ProgressEvent) => void;
  /** Use this engine adapter instead of detecting one (tests, embedders). */
  readonly containerRuntime?: ContainerRuntime;
}

/** Options after validation and defaults; what manifest.json records as the run's arguments. */
export interface ResolvedOptions {
  readonly service: string;
  readonly components: readonly string[];
  readonly aliases: readonly string[];
  readonly containers: readonly string[];
  readonly labels: readonly string[];
  readonly runtime: RuntimeChoice;
  readonly transport: TransportChoice;
  /** The base folder asked for (see `outputDirSource`); the one written into may be the per-user one. */
  readonly outputDir: string;
  /** Where `outputDir` came from: only the default gives way to a per-user base. */
  readonly outputDirSource: OutputBaseSource;
  readonly archive: boolean;
  readonly engineInfo: boolean;
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly containerTimeoutMs: number | null;
  readonly logs: LogOptions;
  readonly redact: boolean;
  /** `--redact` patterns, as compiled (their `source` and `flags` are what manifest.json records). */
  readonly redactPatterns: readonly RegExp[];
  readonly maxLogBytes: number | null;
}

const SAFE_TOKEN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** Container names as docker and podman allow them. */
const CONTAINER_NAME = /^\/?[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** A `--since`/`--until` value: RFC 3339, a Unix timestamp or a Go duration such as `10m`. */
const TIME_VALUE = /^[0-9A-Za-z][0-9A-Za-z:.+-]*$/;
const LABEL = /^[^=\s,][^=,]*(=[^,]*)?$/;

/** Validate a service name, alias or component: letters, digits, `.`, `_`, `-`; no path tricks. */
export function assertSafeToken(value: string, what: string): string {
  if (value.length > MAX_TOKEN_LENGTH || !SAFE_TOKEN.test(value)) {
    throw new UsageError(
      `invalid ${what} ${JSON.stringify(value)}: use letters, digits, ".", "_" and "-", starting with a letter or digit (at most ${MAX_TOKEN_LENGTH})`,
    );
  }
  return value;
}

function checkEach(values: readonly string[] | undefined, test: (v: string) => boolean, what: string): string[] {
  return (values ?? []).map((value) => {
    if (typeof value !== 'string' || !test(value)) throw new UsageError(`invalid ${what} ${JSON.stringify(value)}`);
    return value;
  });
}

function positiveInteger(value: number | undefined, fallback: number, what: string, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new UsageError(`invalid ${what} ${JSON.stringify(value)}: expected a whole number from 1 to ${max}`);
  }
  return value;
}

function timeValue(value: string | undefined, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (!TIME_VALUE.test(value)) {
    throw new UsageError(`invalid ${what} ${JSON.stringify(value)}: expected a timestamp (RFC 3339 or Unix) or a duration such as 10m`);
  }
  return value;
}

function tailValue(value: string | undefined): string | undefined {
  if (value === undefined || value === 'all' || /^\d+$/.test(value)) return value;
  throw new UsageError(`invalid tail ${JSON.stringify(value)}: expected a number of lines or "all"`);
}

function maxLogBytes(value: number | string | undefined): number | null {
  if (value === undefined) return null;
  const bytes = typeof value === 'number' ? value : parseSize(value);
  if (!Number.isFinite(bytes) && bytes !== Infinity) throw new UsageError(`invalid max log size ${JSON.stringify(value)}`);
  if (bytes === 0 || bytes === Infinity) return null;
  if (!Number.isInteger(bytes) || bytes < 1000) {
    throw new UsageError(`invalid max log size ${JSON.stringify(value)}: expected at least 1KB (e.g. 50MB), or 0 for no limit`);
  }
  return bytes;
}

/**
 * The base folder asked for, and by whom: the option, else env MUST_GATHER_DIR (an empty one counts as
 * unset), else the default. Only the default gives way to a per-user base when it belongs to someone else
 * (`chooseOutputBase` in run-folder/write.ts decides, by looking at the folder); the run, the test-run lock
 * and `prune` all start here.
 */
export function requestedOutputBase(outputDir: string | undefined, env: NodeJS.ProcessEnv): { dir: string; source: OutputBaseSource } {
  if (outputDir !== undefined) return { dir: outputDir, source: 'option' };
  if (env.MUST_GATHER_DIR) return { dir: env.MUST_GATHER_DIR, source: 'MUST_GATHER_DIR' };
  return { dir: DEFAULT_OUTPUT_DIR, source: 'default' };
}

/** `--runtime`/`--transport`: the options, else MUST_GATHER_RUNTIME/MUST_GATHER_TRANSPORT, else auto; validated. */
export function engineChoices(
  options: { readonly runtime?: RuntimeChoice | undefined; readonly transport?: TransportChoice | undefined },
  env: NodeJS.ProcessEnv,
): { runtime: RuntimeChoice; transport: TransportChoice } {
  return {
    runtime: parseRuntimeChoice(options.runtime ?? (env.MUST_GATHER_RUNTIME || undefined)),
    transport: parseTransportChoice(options.transport ?? (env.MUST_GATHER_TRANSPORT || undefined)),
  };
}

/** Validate `options` and fill in defaults. Throws {@link UsageError}; touches nothing. */
export function resolveOptions(options: GatherOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new UsageError('gather() needs an options object');
  const env = options.env ?? process.env;
  const service = assertSafeToken(String(options.service ?? ''), 'service name');
  // An empty variable (`MUST_GATHER_DIR=${UNSET}` in CI) means the default, like an unset one.
  const { dir: outputDir, source: outputDirSource } = requestedOutputBase(options.outputDir, env);
  if (typeof outputDir !== 'string' || outputDir.trim() === '' || outputDir.includes('\0')) {
    throw new UsageError(`invalid output directory ${JSON.stringify(outputDir)}`);
  }
  return {
    service,
    components: (options.components ?? []).map((c) => assertSafeToken(c, 'component')),
    aliases: (options.aliases ?? []).map((a) => assertSafeToken(a, 'alias')),
    containers: checkEach(options.containers, (c) => CONTAINER_NAME.test(c), 'container name'),
    labels: checkEach(options.labels, (l) => LABEL.test(l), 'label (expected key=value or key)'),
    ...engineChoices(options, env),
    outputDir,
    outputDirSource,
    archive: options.archive === true,
    engineInfo: options.engineInfo === true,
    concurrency: positiveInteger(options.concurrency, DEFAULT_CONCURRENCY, 'concurrency', MAX_CONCURRENCY),
    timeoutMs: positiveInteger(options.timeoutMs, DEFAULT_TIMEOUT_MS, 'timeout (ms)', 24 * 3600_000),
    containerTimeoutMs: options.containerTimeoutMs === undefined ? null : positiveInteger(options.containerTimeoutMs, 0, 'container timeout (ms)', 24 * 3600_000),
    redact: options.redact !== false,
    redactPatterns: (options.redactPatterns ?? []).map((p) => (p instanceof RegExp ? p : parseRedactPattern(String(p)))),
    maxLogBytes: maxLogBytes(options.maxLogSize),
    logs: {
      since: timeValue(options.since, 'since'),
      until: timeValue(options.until, 'until'),
      tail: tailValue(options.tail),
      timestamps: options.timestamps === true,
      // The engine's own log file, read directly when that gives the same bytes; `0` asks the engine always.
      direct: env.MUST_GATHER_DIRECT_LOGS !== '0',
    },
  };
}
