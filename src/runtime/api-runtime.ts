import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';
import { durationReader, GO_DURATION_GRAMMAR } from '../_util/units.js';
import { LogDemuxer } from './demux.js';
import { LineJoiner, LineTimes } from './line-join.js';
import { DOCKER_PARTIAL_BYTES, unframedLog, type PrefixMode } from './log-time.js';
import { eventsRequest, parseApiEvent, readEvents } from './events.js';
import { endpointUrl, type Endpoint } from './endpoint.js';
import { httpGet, readBody, type Query } from './http.js';
import { openDirectLog } from './log-file.js';
import { localPodmanEvents } from './events-file.js';
import { coalesce, streamGet, type StreamedBody } from './stream-get.js';
import { isContainerGoneMessage, parseContainerList, parseInspect } from './parse.js';
import {
  ContainerGoneError,
  EngineCancelledError,
  EngineError,
  type ContainerDetails,
  type ContainerEvent,
  type ContainerRuntime,
  type ContainerSummary,
  type EngineDescription,
  type EventsOptions,
  type LogOptions,
  type LogStream,
  type LogTarget,
  type RuntimeInfo,
  type RuntimeName,
} from './types.js';

/** What `/version` says of the engine behind a socket. */
export interface EngineIdentity {
  readonly name: RuntimeName;
  readonly version: string;
  readonly versionInfo: unknown;
}

/** podman's compat `/version` lists a "Podman Engine" component; the socket path proves nothing. */
export function identifyEngine(versionInfo: unknown): EngineIdentity {
  const v = (versionInfo ?? {}) as { Version?: unknown; Components?: { Name?: unknown; Version?: unknown }[] };
  const components = Array.isArray(v.Components) ? v.Components : [];
  const podman = components.find((c) => typeof c.Name === 'string' && /podman/i.test(c.Name));
  const version = typeof podman?.Version === 'string' ? podman.Version : typeof v.Version === 'string' ? v.Version : 'unknown';
  return { name: podman ? 'podman' : 'docker', version, versionInfo };
}

const readGoDuration = durationReader(GO_DURATION_GRAMMAR);

/**
 * `--since`/`--until` as the API wants them: Unix seconds. The CLIs take RFC 3339, Unix time or a Go
 * duration ("10m" = 10 minutes ago); so does this. docker-modem would JSON-encode a Date.
 */
export function toUnixSeconds(value: string, now: Date): string {
  if (/^\d+(\.\d+)?$/.test(value)) return value;
  const seconds = readGoDuration(value);
  if (seconds !== null) return String(Math.floor(now.getTime() / 1000 - seconds));
  // Only RFC 3339 dates: Date.parse alone accepts loose text such as "abc 1".
  const parsed = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(parsed)) throw new EngineError(`cannot read "${value}" as a time`);
  return String(Math.floor(parsed / 1000));
}

/** Status and message of a docker-modem error, which carries the engine's JSON `message`. */
function modemError(error: unknown): { status: number | undefined; message: string } {
  const e = error as { statusCode?: number; json?: { message?: string; cause?: string }; message?: string };
  return { status: e.statusCode, message: e.json?.message ?? e.message ?? String(error) };
}

function mapError(error: unknown, what: string, signal?: AbortSignal): EngineError {
  if (signal?.aborted) return new EngineCancelledError(`${what} was cancelled`, { cause: error });
  const { status, message } = modemError(error);
  if (status === 404) return new ContainerGoneError(`no such container: ${message}`, { cause: error });
  return new EngineError(`${what} failed: ${message}`, { cause: error });
}

export interface ApiRuntimeOptions {
  readonly endpoint: Endpoint;
  /** Which engine serves the socket (from {@link ApiRuntime.identify}); 'docker' until known. */
  readonly name?: RuntimeName;
  readonly now?: () => Date;
  /** Loads dockerode (ssh:// only; an optional peer dependency); tests inject a failing one. */
  readonly importDockerode?: () => Promise<unknown>;
}

/** An engine reached over its Docker-compatible Engine API (docker, or `podman system service`). */
export class ApiRuntime implements ContainerRuntime {
  readonly name: RuntimeName;
  readonly transport = 'api';
  readonly endpoint: Endpoint;
  readonly #now: () => Date;
  readonly #importDockerode: () => Promise<unknown>;
  #client: Promise<Dockerode> | undefined;

  constructor(options: ApiRuntimeOptions) {
    this.name = options.name ?? 'docker';
    this.endpoint = options.endpoint;
    this.#now = options.now ?? (() => new Date());
    this.#importDockerode = options.importDockerode ?? (() => import('dockerode'));
  }

  async info(signal?: AbortSignal): Promise<RuntimeInfo> {
    const identity = await this.identify(signal);
    return { name: identity.name, transport: 'api', version: identity.version, endpoint: endpointUrl(this.endpoint) };
  }

  /**
   * Which engine serves this address. `_ping` answers in milliseconds and says it: podman marks it with a
   * `Libpod-Api-Version` header, dockerd with `Server: Docker/<version> (<os>)`. Only an engine that says
   * neither is asked `/version` (one more round trip before the run can start; podman's takes ~0.25 s).
   */
  async identify(signal?: AbortSignal): Promise<EngineIdentity> {
    const headers = await this.#pingHeaders(signal);
    const libpod = headers['libpod-api-version'];
    if (typeof libpod === 'string' && libpod !== '') return { name: 'podman', version: libpod, versionInfo: null };
    const dockerd = typeof headers.server === 'string' ? /^Docker\/(\S+)/.exec(headers.server) : null;
    if (dockerd?.[1]) return { name: 'docker', version: dockerd[1], versionInfo: null };
    return identifyEngine(await this.#getJson('/version', {}, signal, 'version'));
  }

  async describe(signal?: AbortSignal, options: { readonly info?: boolean } = {}): Promise<EngineDescription> {
    const info = options.info ? this.#getJson('/info', {}, signal, 'info') : Promise.resolve(null);
    if (this.name === 'podman') {
      // podman's /version takes ~0.3 s (it runs conmon and the OCI runtime to ask theirs); its _ping headers
      // carry the versions that matter, in milliseconds.
      const [headers, infoDoc] = await Promise.all([this.#pingHeaders(signal), info]);
      const versionInfo = { source: '_ping headers', server: headers.server, apiVersion: headers['api-version'], libpodApiVersion: headers['libpod-api-version'] };
      return { versionInfo, info: infoDoc };
    }
    const [versionInfo, infoDoc] = await Promise.all([this.#getJson('/version', {}, signal, 'version'), info]);
    return { versionInfo, info: infoDoc };
  }

  async #pingHeaders(signal?: AbortSignal): Promise<Record<string, string | string[] | undefined>> {
    const res = await this.#get('/_ping', {}, signal, '_ping');
    res.resume();
    return res.headers;
  }

  async list(options: { labels?: readonly string[]; signal?: AbortSignal } = {}): Promise<ContainerSummary[]> {
    const labels = options.labels ?? [];
    const rows = await this.#getJson('/containers/json', { all: true, filters: labels.length > 0 ? { label: [...labels] } : undefined }, options.signal, 'list');
    return parseContainerList(JSON.stringify(rows));
  }

  async inspect(id: string, signal?: AbortSignal): Promise<ContainerDetails> {
    return parseInspect(await this.#getJson(`/containers/${encodeURIComponent(id)}/json`, {}, signal, 'inspect'));
  }

  logs(container: LogTarget, options: LogOptions, signal?: AbortSignal): LogStream {
    const direct = openDirectLog(container, options, { name: this.name, transport: 'api', endpoint: this.endpoint }, signal);
    if (direct !== null) return direct;
    const out = new PassThrough();
    const times = options.lineTimes === true ? new LineTimes() : null;
    // A TTY log is one stream: nothing to join, and its bytes pass unchanged (a hold limit of 0); its joiner
    // only keeps the lines' times.
    const joiner = container.tty && times === null ? null : new LineJoiner({ times, ...(container.tty ? { holdLimit: 0 } : {}) });
    const finished = this.#streamLogs(container, options, out, joiner, signal);
    // The caller learns of failure through `finished`, after `out` has ended with what did arrive.
    finished.catch(() => {});
    return { stream: out, finished, times, source: () => 'api', linesCut: () => (container.tty || joiner === null ? 0 : joiner.linesCut) };
  }

  async #streamLogs(container: { id: string; tty: boolean }, options: LogOptions, out: PassThrough, joiner: LineJoiner | null, signal?: AbortSignal): Promise<void> {
    const prefixes: PrefixMode | null = options.lineTimes !== true ? null : options.timestamps === true ? 'keep' : 'strip';
    // podman's compat API sends a TTY log unframed, where a partial entry's prefix cannot be found; its libpod
    // API frames it like any other (the same bytes).
    const framed = !container.tty || (prefixes !== null && this.name === 'podman');
    let body: StreamedBody;
    try {
      body = await this.#dialLogs(container.id, options, framed && container.tty, signal);
    } catch (error) {
      out.end();
      throw error;
    }
    // The body ends (it never errors) when the response ends or fails, so `out` keeps what did arrive; if
    // the consumer gives up (its file failed), the transfer is stopped rather than left paused forever.
    out.once('close', () => body.stream.destroy());
    // Frames whatever Content-Type says (podman sends raw-stream for both).
    const demuxer = framed ? new LogDemuxer({ joiner, prefixes }) : null;
    const decoder = demuxer ?? (prefixes !== null && joiner !== null ? unframedLog(joiner, prefixes, DOCKER_PARTIAL_BYTES) : null);
    (decoder ? body.stream.pipe(decoder) : body.stream).pipe(out);
    await new Promise<void>((resolve) => (out.writableFinished || out.destroyed ? resolve() : (out.once('finish', resolve), out.once('close', resolve))));
    const failure = body.error();
    if (failure !== null) throw mapError(failure, 'logs stream', signal);
    const daemonError = demuxer?.daemonError ?? null;
    if (daemonError !== null) throw isContainerGoneMessage(daemonError) ? new ContainerGoneError(daemonError) : new EngineError(`engine reported: ${daemonError}`);
    if (demuxer && demuxer.missingBytes > 0) throw new EngineError(`log stream ended inside a frame: ${demuxer.missingBytes} bytes missing`);
  }

  async #dialLogs(id: string, options: LogOptions, libpod: boolean, signal?: AbortSignal): Promise<StreamedBody> {
    const now = this.#now();
    const query: Record<string, string | boolean> = { stdout: true, stderr: true, follow: options.follow === true };
    if (options.timestamps === true || options.lineTimes === true) query.timestamps = true;
    if (options.tail !== undefined) query.tail = options.tail;
    if (options.since !== undefined) query.since = toUnixSeconds(options.since, now);
    if (options.until !== undefined) query.until = toUnixSeconds(options.until, now);
    // A stream, never buffered: dockerode's container.logs({ follow: false }) would hold the whole log (and fails past ~512 MiB).
    const path = `${libpod ? '/v4.0.0/libpod' : ''}/containers/${encodeURIComponent(id)}/logs`;
    if (this.endpoint.kind === 'ssh') return coalesce(await this.#get(path, query, signal, 'logs'));
    try {
      return await streamGet(this.endpoint, path, query, signal);
    } catch (error) {
      throw mapError(error, 'logs', signal);
    }
  }

  localEvents(options: EventsOptions): Promise<AsyncIterable<ContainerEvent> | null> {
    return localPodmanEvents({ name: this.name, transport: 'api', endpoint: this.endpoint }, options);
  }

  async *events(options: EventsOptions): AsyncGenerator<ContainerEvent> {
    const { signal } = options;
    const request = eventsRequest(this.name, options);
    const filters = { type: ['container'], ...(request.containers.length > 0 ? { container: [...request.containers] } : {}) };
    const query = { since: request.since, until: request.until ?? undefined, stream: request.readToEnd ? false : undefined, filters };
    let body: StreamedBody;
    try {
      body = this.endpoint.kind === 'ssh' ? coalesce(await this.#get('/events', query, signal, 'events')) : await streamGet(this.endpoint, '/events', query, signal);
    } catch (error) {
      throw mapError(error, 'events', signal);
    }
    try {
      yield* readEvents(body.stream, (line) => parseApiEvent(line, this.name), options);
    } finally {
      // Also when the consumer stops early: nothing more is wanted from the engine.
      body.stream.destroy();
    }
    const failure = body.error();
    if (failure !== null) throw mapError(failure, 'events stream', signal);
  }

  /**
   * GET an API path. unix and tcp go through node's http client; ssh through dockerode's docker-modem,
   * loaded only then: it loads ssh2 eagerly, which costs ~90 ms a run (node -e "require('docker-modem')"
   * takes 0.15 s where bare node takes 0.06 s).
   */
  async #get(path: string, query: Query, signal: AbortSignal | undefined, what: string): Promise<IncomingMessage> {
    try {
      if (this.endpoint.kind !== 'ssh') return await httpGet(this.endpoint, path, query, signal);
      const client = await this.#docker();
      return await new Promise<IncomingMessage>((resolve, reject) => {
        client.modem.dial(
          {
            path: `${path}?`,
            method: 'GET',
            options: query,
            isStream: true,
            abortSignal: signal,
            statusCodes: { 200: true, 404: 'not found', 500: 'server error', 501: 'not implemented' },
          },
          (error: unknown, res: unknown) => (error ? reject(error) : resolve(res as IncomingMessage)),
        );
      });
    } catch (error) {
      throw mapError(error, what, signal);
    }
  }

  async #getJson(path: string, query: Query, signal: AbortSignal | undefined, what: string): Promise<unknown> {
    const res = await this.#get(path, query, signal, what);
    try {
      return JSON.parse(await readBody(res)) as unknown;
    } catch (error) {
      throw mapError(error, what, signal);
    }
  }

  /** dockerode (for ssh:// endpoints only) is loaded on first use. */
  #docker(): Promise<Dockerode> {
    this.#client ??= this.#importDockerode().then(
      (mod) => {
        // A CommonJS module: its export is `default` under ESM.
        const Docker = (mod as { default: typeof Dockerode }).default;
        return withoutDockerEnv(() => new Docker(dockerOptions(this.endpoint)));
      },
      (error: unknown) => {
        // dockerode is an optional peer dependency: say what to install rather than "Cannot find package".
        if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
        throw new EngineError(`${endpointUrl(this.endpoint)}: ssh:// endpoints need the optional package dockerode (npm install dockerode)`, { cause: error });
      },
    );
    return this.#client;
  }
}

/**
 * docker-modem's constructor reads process.env.DOCKER_HOST and loads DOCKER_CERT_PATH's certificates as
 * defaults, and throws when they are unreadable, even when it is given an explicit socket. Our endpoint
 * is already resolved from the env we were given, so hide those variables for the (synchronous) construction.
 */
function withoutDockerEnv<T>(construct: () => T): T {
  const names = ['DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'DOCKER_CLIENT_TIMEOUT', 'DOCKER_PATH_PREFIX'];
  const saved = names.map((name) => [name, process.env[name]] as const);
  for (const name of names) delete process.env[name];
  try {
    return construct();
  } finally {
    for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
  }
}

/** Every connection field set, so docker-modem's own DOCKER_HOST defaults (read from process.env) never leak in. */
function dockerOptions(endpoint: Endpoint): Dockerode.DockerOptions {
  const none = { socketPath: undefined, host: undefined, port: undefined, protocol: undefined, ca: undefined, cert: undefined, key: undefined };
  switch (endpoint.kind) {
    case 'unix':
      return { ...none, socketPath: endpoint.socketPath };
    case 'tcp':
      return { ...none, host: endpoint.host, port: endpoint.port, protocol: endpoint.tls ? 'https' : 'http', ...(endpoint.tls ?? {}) };
    case 'ssh':
      return { ...none, host: endpoint.host, port: endpoint.port, protocol: 'ssh', username: endpoint.username };
  }
}
