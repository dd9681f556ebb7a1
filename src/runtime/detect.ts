import { stat } from 'node:fs/promises';
import { homedir as osHomedir } from 'node:os';
import { deadline } from '../_util/deadline.js';
import { errorMessage, NoEngineError, UsageError, type EngineAttempt } from '../_util/errors.js';
import { ApiRuntime } from './api-runtime.js';
import { CliRuntime } from './cli-runtime.js';
import { endpointUrl, parseEndpoint, type Endpoint } from './endpoint.js';
import { socketCandidates, userNamed, type SocketCandidate } from './sockets.js';
import { EngineCancelledError, RUNTIME_CHOICES, TRANSPORT_CHOICES, type ContainerRuntime, type RuntimeChoice, type RuntimeInfo, type RuntimeName, type TransportChoice } from './types.js';

export { RUNTIME_CHOICES, TRANSPORT_CHOICES };
const ENGINES: readonly RuntimeName[] = ['podman', 'docker'];

/** How long a CLI may take to answer `version`/`info` during detection. */
const CLI_PROBE_TIMEOUT_MS = 20_000;
/** How long a socket may take to answer; one that accepts and never answers must not stall the run. */
const API_PROBE_TIMEOUT_MS = 5_000;

export interface DetectOptions {
  readonly runtime?: RuntimeChoice;
  readonly transport?: TransportChoice;
  readonly env?: NodeJS.ProcessEnv;
  readonly homedir?: string;
  readonly signal?: AbortSignal;
  /** Makes the CLI adapter for an engine; tests inject fakes here. */
  readonly createCliRuntime?: (name: RuntimeName, env: NodeJS.ProcessEnv) => ContainerRuntime;
  /** Connects to an Engine API; tests inject fakes here. */
  readonly connectApi?: (endpoint: Endpoint, signal: AbortSignal) => Promise<{ runtime: ContainerRuntime; info: RuntimeInfo }>;
}

export interface DetectedRuntime {
  readonly runtime: ContainerRuntime;
  readonly info: RuntimeInfo;
  /** Why this engine was chosen, in words, e.g. `CONTAINER_HOST (unix:///run/podman/podman.sock) answered`. */
  readonly reason: string;
}

/** One place tried, what answered there, and whether it was chosen: what `must-gather doctor` prints. */
export interface Probe {
  readonly transport: 'api' | 'cli';
  /** e.g. `DOCKER_HOST unix:///var/run/docker.sock` or `podman CLI`. */
  readonly place: string;
  readonly answered: { readonly name: RuntimeName; readonly version: string } | null;
  readonly problem: string | null;
}

export interface Detection {
  readonly chosen: readonly DetectedRuntime[];
  readonly probes: readonly Probe[];
  /**
   * Places the user named (CONTAINER_HOST, DOCKER_HOST, a docker context) that did not answer, in words:
   * the run went on with what did answer, and must say so rather than fall back silently.
   */
  readonly unanswered: readonly string[];
}

interface Candidate {
  readonly name: RuntimeName;
  readonly reason: string;
}

/**
 * The ordered CLI candidates for `--runtime auto`: what CONTAINER_HOST (podman's) or DOCKER_HOST points at
 * first, then podman, then docker. Each is confirmed by a real call before it is used.
 */
export function runtimeCandidates(choice: RuntimeChoice, env: NodeJS.ProcessEnv): Candidate[] {
  if (choice === 'podman' || choice === 'docker') return [{ name: choice, reason: '--runtime ' + choice }];
  const candidates: Candidate[] = [];
  if (env.CONTAINER_HOST) candidates.push({ name: 'podman', reason: 'CONTAINER_HOST is set' });
  if (env.DOCKER_HOST) candidates.push({ name: 'docker', reason: 'DOCKER_HOST is set' });
  candidates.push({ name: 'podman', reason: 'podman answered' }, { name: 'docker', reason: 'docker answered' });
  // Keep the first occurrence of each engine: it carries the strongest reason.
  return candidates.filter((c, i) => candidates.findIndex((o) => o.name === c.name) === i);
}

function parseChoice<T extends string>(value: string | undefined, choices: readonly T[], what: string): T {
  const choice = (value ?? 'auto').trim().toLowerCase();
  if ((choices as readonly string[]).includes(choice)) return choice as T;
  throw new UsageError(`invalid ${what} "${value}": expected one of ${choices.join(', ')}`);
}

export function parseRuntimeChoice(value: string | undefined): RuntimeChoice {
  return parseChoice(value, RUNTIME_CHOICES, 'runtime');
}

export function parseTransportChoice(value: string | undefined): TransportChoice {
  return parseChoice(value, TRANSPORT_CHOICES, 'transport');
}

function firstLine(error: unknown): string {
  const message = errorMessage(error);
  if (/ENOENT/.test(message) && /spawn|Command failed/.test(message)) return 'command not found on PATH';
  return message.split('\n')[0] ?? message;
}

async function connectApi(endpoint: Endpoint, signal: AbortSignal): Promise<{ runtime: ContainerRuntime; info: RuntimeInfo }> {
  if (endpoint.kind === 'unix') {
    // Say plainly that nothing is there, rather than ENOENT from deep inside an HTTP client.
    const found = await stat(endpoint.socketPath).catch(() => null);
    if (!found) throw new Error('no socket there');
    if (!found.isSocket()) throw new Error('not a socket');
  }
  // Identify the engine from what it says of itself, then make the adapter under that name.
  const identity = await new ApiRuntime({ endpoint }).identify(signal);
  const runtime = new ApiRuntime({ endpoint, name: identity.name });
  return { runtime, info: { name: identity.name, transport: 'api', version: identity.version, endpoint: endpointUrl(endpoint) } };
}

/** Remembers each place's answer during one detection, so `--runtime all` probes nothing twice. */
class Prober {
  /** Each place's outcome, listed in the order the places were asked (probes run in parallel). */
  readonly #outcomes = new Map<string, Probe | null>();
  readonly #api = new Map<string, Promise<{ runtime: ContainerRuntime; info: RuntimeInfo } | null>>();
  readonly #cli = new Map<RuntimeName, Promise<{ runtime: ContainerRuntime; info: RuntimeInfo } | null>>();
  readonly #options: DetectOptions;
  readonly #env: NodeJS.ProcessEnv;

  constructor(options: DetectOptions) {
    this.#options = options;
    this.#env = options.env ?? process.env;
  }

  get probes(): Probe[] {
    return [...this.#outcomes.values()].filter((p) => p !== null);
  }

  #record(probe: Probe): void {
    this.#outcomes.set(`${probe.transport} ${probe.place}`, probe);
  }

  sockets(): SocketCandidate[] {
    return socketCandidates({ env: this.#env, homedir: this.#options.homedir ?? this.#env.HOME ?? osHomedir() });
  }


  api(candidate: SocketCandidate): Promise<{ runtime: ContainerRuntime; info: RuntimeInfo } | null> {
    if (this.#options.signal?.aborted) return Promise.resolve(null);
    let pending = this.#api.get(candidate.address);
    if (!pending) {
      this.#outcomes.set(`api ${candidate.source} ${candidate.address}`, null);
      pending = this.#probeApi(candidate);
      this.#api.set(candidate.address, pending);
    }
    return pending;
  }

  async #probeApi(candidate: SocketCandidate): Promise<{ runtime: ContainerRuntime; info: RuntimeInfo } | null> {
    const place = `${candidate.source} ${candidate.address}`;
    const fail = (problem: string): null => {
      this.#record({ transport: 'api', place, answered: null, problem });
      return null;
    };
    let endpoint: Endpoint;
    try {
      endpoint = parseEndpoint(candidate.address, { env: this.#env, homedir: this.#options.homedir ?? this.#env.HOME ?? osHomedir() });
    } catch (error) {
      return fail(firstLine(error));
    }
    const limit = deadline(API_PROBE_TIMEOUT_MS, this.#options.signal);
    try {
      const connected = await (this.#options.connectApi ?? connectApi)(endpoint, limit.signal);
      this.#record({ transport: 'api', place, answered: { name: connected.info.name, version: connected.info.version }, problem: null });
      return connected;
    } catch (error) {
      return fail(limit.timedOut() ? `did not answer within ${API_PROBE_TIMEOUT_MS / 1000} s` : firstLine(error));
    } finally {
      limit.dispose();
    }
  }

  cli(name: RuntimeName): Promise<{ runtime: ContainerRuntime; info: RuntimeInfo } | null> {
    if (this.#options.signal?.aborted) return Promise.resolve(null);
    let pending = this.#cli.get(name);
    if (!pending) {
      this.#outcomes.set(`cli ${name} CLI`, null);
      pending = this.#probeCli(name);
      this.#cli.set(name, pending);
    }
    return pending;
  }

  async #probeCli(name: RuntimeName): Promise<{ runtime: ContainerRuntime; info: RuntimeInfo } | null> {
    const create = this.#options.createCliRuntime ?? ((n, e) => new CliRuntime(n, { env: e }));
    const runtime = create(name, this.#env);
    const limit = deadline(CLI_PROBE_TIMEOUT_MS, this.#options.signal);
    try {
      const info = await runtime.info(limit.signal);
      this.#record({ transport: 'cli', place: `${name} CLI`, answered: { name, version: info.version }, problem: null });
      return { runtime, info };
    } catch (error) {
      const problem = limit.timedOut() ? `did not answer within ${CLI_PROBE_TIMEOUT_MS / 1000} s` : firstLine(error);
      this.#record({ transport: 'cli', place: `${name} CLI`, answered: null, problem });
      return null;
    } finally {
      limit.dispose();
    }
  }
}

/**
 * Find `wanted` over its API sockets first (unless `cli`), then its CLI (unless `api`).
 * `cliReason` says why the CLI would be chosen, e.g. `--runtime podman` or `podman answered`.
 */
async function detectEngine(prober: Prober, wanted: RuntimeName, transport: TransportChoice, cliReason: string): Promise<DetectedRuntime | null> {
  if (transport !== 'cli') {
    for (const candidate of prober.sockets()) {
      const connected = await prober.api(candidate);
      if (connected?.info.name === wanted) return { ...connected, reason: `${candidate.source} answered` };
    }
  }
  if (transport !== 'api') {
    const connected = await prober.cli(wanted);
    if (connected) return { ...connected, reason: cliReason };
  }
  return null;
}

/** Each engine in the order the user's environment prefers: the one CONTAINER_HOST or DOCKER_HOST names first. */
function preferredOrder(env: NodeJS.ProcessEnv): Candidate[] {
  return runtimeCandidates('auto', env);
}

/** The places the user named that did not answer (a probe that answered as another engine did answer). */
function unansweredPlaces(probes: readonly Probe[], env: NodeJS.ProcessEnv): string[] {
  const named = probes.filter((p) => p.problem !== null && (p.transport === 'api' ? userNamed(p.place) : cliHostVariable(p.place, env) !== null));
  return named.map((p) => {
    const variable = p.transport === 'cli' ? cliHostVariable(p.place, env) : null;
    return `${variable ? `${p.place} (${variable})` : p.place} did not answer: ${p.problem}`;
  });
}

/** `DOCKER_HOST=tcp://…` when the docker CLI was asked while DOCKER_HOST was set (CONTAINER_HOST for podman's). */
function cliHostVariable(place: string, env: NodeJS.ProcessEnv): string | null {
  if (place === 'podman CLI' && env.CONTAINER_HOST) return `CONTAINER_HOST=${env.CONTAINER_HOST}`;
  if (place === 'docker CLI' && env.DOCKER_HOST) return `DOCKER_HOST=${env.DOCKER_HOST}`;
  return null;
}

function attemptsOf(probes: readonly Probe[]): EngineAttempt[] {
  return probes
    .filter((p) => p.problem !== null || p.answered !== null)
    .map((p) => ({ runtime: p.place, reason: p.problem ?? `answered as ${p.answered?.name} ${p.answered?.version}, not the engine asked for` }));
}

/**
 * Find the engine(s) to use: the one asked for with `podman`/`docker`; every engine that answers with `all`
 * and with `auto` (the run then keeps those that have the service's containers). Every socket is probed at
 * once, each bounded by {@link API_PROBE_TIMEOUT_MS}; an engine no socket answers for is asked over its CLI
 * (transport `auto`). Throws {@link NoEngineError} naming every place tried.
 */
export async function detectRuntimes(options: DetectOptions = {}): Promise<Detection> {
  const env = options.env ?? process.env;
  const choice = options.runtime ?? 'auto';
  const transport = options.transport ?? 'auto';
  const prober = new Prober(options);
  // In parallel: a socket that accepts and never answers costs its 5 s once, not once per engine.
  if (transport !== 'cli') await Promise.all(prober.sockets().map((candidate) => prober.api(candidate)));
  const wanted: Candidate[] =
    choice === 'podman' || choice === 'docker'
      ? runtimeCandidates(choice, env)
      : preferredOrder(env).map((c) => (choice === 'all' ? { name: c.name, reason: `${c.name} answered` } : c));
  const found = await Promise.all(wanted.map(({ name, reason }) => detectEngine(prober, name, transport, reason)));
  const chosen = found.filter((f) => f !== null);
  // Interrupted while looking: say so, rather than "no engine" with every reason reading "aborted".
  if (options.signal?.aborted) throw new EngineCancelledError('interrupted while looking for an engine', { cause: options.signal.reason });
  if (chosen.length === 0) throw new NoEngineError(attemptsOf(prober.probes));
  return { chosen, probes: prober.probes, unanswered: unansweredPlaces(prober.probes, env) };
}

/** Find one engine (`all` is not accepted here). */
export async function detectRuntime(options: DetectOptions = {}): Promise<DetectedRuntime> {
  if (options.runtime === 'all') throw new UsageError('detectRuntime() finds one engine; use detectRuntimes() for "all"');
  const { chosen } = await detectRuntimes(options);
  return chosen[0] as DetectedRuntime;
}

/** Probe every place an engine may answer, without stopping at the first: what `must-gather doctor` shows. */
export async function probeAll(options: DetectOptions = {}): Promise<Probe[]> {
  const prober = new Prober(options);
  const transport = options.transport ?? 'auto';
  if (transport !== 'cli') for (const candidate of prober.sockets()) await prober.api(candidate);
  if (transport !== 'api') for (const name of ENGINES) await prober.cli(name);
  return prober.probes;
}
