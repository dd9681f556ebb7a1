/*
 * Record mode (issue 11): follow a service's containers while a test run lives, instead of a snapshot at
 * its end. Every container of the service that exists when the recording starts, or appears while it
 * runs, is followed: its log streamed live into its file (redaction, size limit, analysis, archive tap,
 * as gather does), its inspect JSON taken when it dies and at the end, its lifecycle events appended to
 * events.jsonl. A name reused by a new container is a new instance with its own files.
 *
 * This first slice watches over the Engine API only (`/events` streamed, `logs?follow=true`).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { ApiRuntime } from '../runtime/api-runtime.js';
import { streamGet } from '../runtime/stream-get.js';
import { EngineCancelledError, type ContainerDetails, type ContainerSummary } from '../runtime/types.js';
import type { DetectedRuntime } from '../runtime/detect.js';
import { findEngines } from '../gather/engines.js';
import { resolveOptions, type GatherOptions, type ResolvedOptions } from '../gather/options.js';
import { selectContainers, type SelectedContainer } from '../gather/select.js';
import { createSizeLimiter } from '../gather/size-limit.js';
import type { GatherResult } from '../gather/gather.js';
import { buildManifest, manifestArguments } from '../gather/manifest.js';
import { collectSecretLiterals, compileRedaction, createRedactor, redactInspect, REDACTION_MARKER, type CompiledRedaction } from '../redact/index.js';
import { ArchiveParts, writeArchive } from '../run-folder/archive.js';
import { archivePathOf, HTML_FILE, SUMMARY_FILE } from '../run-folder/layout.js';
import { writeManifest, type ContainerRecord, type RuntimeSummary } from '../run-folder/manifest.js';
import type { RunInfo } from '../run-folder/read-manifest.js';
import { createRunFolder, describeFile, PartialFileError, writeNewFile, writeStreamToFile, type FileRecord } from '../run-folder/write.js';
import { createLogAnalyzer, type LogAnalysis } from '../triage/analyze.js';
import { toFindingsJson } from '../triage/findings-json.js';
import { triageRun, type TriageReport } from '../triage/verdict.js';
import { renderHtml } from '../render/html.js';
import { renderSummaryMarkdown } from '../render/markdown.js';
import { errorMessage, UsageError } from '../_util/errors.js';
import type { GatherWhen } from '../test-run/when.js';
import { EVENTS_FILE, instanceFiles } from './layout.js';

export interface RecordOptions extends GatherOptions {
  /** `on-failure` (default): keep the folder only when `stop({ failed: true })`; `always`: keep it anyway. */
  readonly when?: Exclude<GatherWhen, 'never'>;
}

export interface StopOptions {
  /** Whether the test run failed: with `when: 'on-failure'` the folder is kept only then. */
  readonly failed: boolean;
  /** Why the run ended early (e.g. `--command-timeout`), recorded as the interruption. */
  readonly interruption?: string | null;
}

/** A container record of a recording: which instance of its name it was, and how many events it had. */
export type RecordedContainer = ContainerRecord & { readonly instance: number; readonly events: number };

export interface RecordResult extends GatherResult {
  /** False when the folder was removed (`when: 'on-failure'` and the run passed). */
  readonly kept: boolean;
}

export interface Recording {
  /** The run folder being written (removed at stop when not kept). */
  readonly outputDir: string;
  /** Save the state of every live container now (inspect), without stopping. */
  snapshot(): Promise<void>;
  /** Finish the streams, write manifest.json, SUMMARY.md, index.html and the archive. */
  stop(options: StopOptions): Promise<RecordResult>;
}

/** One container (one ID) followed during the recording. */
interface Instance {
  readonly engine: DetectedRuntime;
  readonly selected: SelectedContainer;
  readonly instance: number;
  readonly paths: { readonly log: string; readonly inspect: string };
  details: ContainerDetails | null;
  inspectError: string | null;
  redaction: CompiledRedaction | null;
  events: number;
  dead: boolean;
  /** The exit code the last `die` event carried: the container may be gone before it is inspected. */
  dieExitCode: number | null;
  following: Promise<void> | null;
  readonly stopLog: AbortController;
  logFile: FileRecord | null;
  logError: string | null;
}

/** An Engine API event, as docker and podman's compat API send them. */
interface EngineEvent {
  readonly Type?: string;
  readonly Action?: string;
  readonly status?: string;
  readonly id?: string;
  readonly time?: number;
  readonly timeNano?: number;
  readonly Actor?: { readonly ID?: string; readonly Attributes?: Record<string, string> };
}

/** podman's compat API says `died` where docker says `die`. */
function actionOf(event: EngineEvent): string {
  const action = event.Action ?? event.status ?? '';
  return action === 'died' ? 'die' : action;
}

const FOLLOW_END_GRACE_MS = 5_000;

/**
 * Start recording a service's containers. Resolves once the engines' event streams are open and the
 * containers that exist already are being followed: start the tests after that.
 */
export async function record(options: RecordOptions): Promise<Recording> {
  const resolved = resolveOptions(options);
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  const life = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, life.signal]) : life.signal;
  const { engines } = await findEngines(options, resolved, signal);
  const apiEngines = engines.filter((e) => e.runtime instanceof ApiRuntime);
  if (apiEngines.length === 0) throw new UsageError('record needs an Engine API socket (--transport api); the CLI transport is not supported by record yet');
  const outputDir = await createRunFolder(resolved.outputDir, resolved.service, startedAt);
  // Several engines watched (auto, all): each one's files go to a folder named after it, as gather does.
  if (apiEngines.length > 1) for (const e of apiEngines) await mkdir(join(outputDir, e.info.name), { mode: 0o700 });
  const parts = resolved.archive ? await ArchiveParts.create(outputDir).catch(() => null) : null;
  const recorder = new Recorder(options, resolved, outputDir, parts, apiEngines, signal, life, now, startedAt);
  await recorder.start();
  return recorder;
}

class Recorder implements Recording {
  readonly #instances = new Map<string, Instance>();
  readonly #nameCounts = new Map<string, number>();
  readonly #analyses = new Map<string, LogAnalysis>();
  readonly #literals = new Set<string>();
  readonly #warnings: string[] = [];
  readonly #events: WriteStream;
  readonly #streams: Promise<void>[] = [];
  /** Events are handled one at a time, in the order the engine sent them. */
  #queue: Promise<void> = Promise.resolve();
  #stopping = false;

  constructor(
    readonly options: RecordOptions,
    readonly resolved: ResolvedOptions,
    readonly outputDir: string,
    readonly parts: ArchiveParts | null,
    readonly engines: readonly DetectedRuntime[],
    readonly signal: AbortSignal,
    readonly life: AbortController,
    readonly now: () => Date,
    readonly startedAt: Date,
  ) {
    this.#events = createWriteStream(join(outputDir, EVENTS_FILE), { flags: 'wx', mode: 0o600 });
    this.#events.on('error', (error) => this.#warnings.push(`${EVENTS_FILE}: ${errorMessage(error)}`));
  }

  async start(): Promise<void> {
    for (const engine of this.engines) {
      const runtime = engine.runtime as ApiRuntime;
      if (runtime.endpoint.kind === 'ssh') throw new UsageError('record does not watch ssh:// engines yet');
      // Watch first, then list: a container created in between is seen by one or the other (tracked once by ID).
      const body = await streamGet(runtime.endpoint, '/events', { filters: { type: ['container'] } }, this.signal);
      this.#streams.push(this.#readEvents(engine, body.stream));
      const existing = await this.#select(engine);
      for (const selected of existing) this.#track(engine, selected);
    }
  }

  async #select(engine: DetectedRuntime): Promise<SelectedContainer[]> {
    const r = this.resolved;
    const all = await engine.runtime.list({ signal: this.signal });
    const labelled = r.labels.length > 0 ? await engine.runtime.list({ labels: r.labels, signal: this.signal }) : [];
    return selectContainers(all, { service: r.service, aliases: r.aliases, components: r.components, containers: r.containers }, labelled).selected;
  }

  #readEvents(engine: DetectedRuntime, stream: NodeJS.ReadableStream): Promise<void> {
    return new Promise((resolve) => {
      let pending = '';
      stream.setEncoding?.('utf8');
      stream.on('data', (chunk: string | Buffer) => {
        pending += chunk.toString();
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl).trim();
          pending = pending.slice(nl + 1);
          if (line === '') continue;
          let event: EngineEvent;
          try {
            event = JSON.parse(line) as EngineEvent;
          } catch {
            continue;
          }
          this.#queue = this.#queue.then(() => this.#onEvent(engine, event)).catch((error: unknown) => {
            this.#warnings.push(`event not handled: ${errorMessage(error)}`);
          });
        }
      });
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', resolve);
    });
  }

  async #onEvent(engine: DetectedRuntime, event: EngineEvent): Promise<void> {
    const id = event.Actor?.ID ?? event.id;
    if (!id) return;
    const action = actionOf(event);
    const key = `${engine.info.name}:${id}`;
    let inst = this.#instances.get(key);
    if (!inst && (action === 'create' || action === 'start') && !this.#stopping) {
      const found = (await this.#select(engine).catch(() => [])).find((s) => s.summary.id === id);
      if (found) inst = this.#track(engine, found);
    }
    if (!inst) return;
    const attributes = event.Actor?.Attributes ?? {};
    const exitCode = attributes.exitCode !== undefined ? Number(attributes.exitCode) : undefined;
    const line = {
      time: event.timeNano ? new Date(Math.floor(event.timeNano / 1e6)).toISOString() : event.time ? new Date(event.time * 1000).toISOString() : this.now().toISOString(),
      runtime: engine.info.name,
      action,
      id,
      name: inst.selected.name,
      instance: inst.instance,
      ...(exitCode !== undefined && !Number.isNaN(exitCode) ? { exitCode } : {}),
      ...(attributes.image ? { image: attributes.image } : {}),
    };
    inst.events++;
    this.#events.write(JSON.stringify(line) + '\n');
    if (action === 'start' && !inst.following) inst.following = this.#follow(inst);
    if (action === 'die' || action === 'oom') {
      inst.dead = action === 'die' || inst.dead;
      if (action === 'die' && exitCode !== undefined && !Number.isNaN(exitCode)) inst.dieExitCode = exitCode;
      await this.#inspect(inst);
    }
  }

  /** Reserve the next instance number of the container's name, and follow its log unless it was only created. */
  #track(engine: DetectedRuntime, selected: SelectedContainer): Instance {
    const key = `${engine.info.name}:${selected.summary.id}`;
    const existing = this.#instances.get(key);
    if (existing) return existing;
    const nameKey = `${engine.info.name}:${selected.name}`;
    const n = (this.#nameCounts.get(nameKey) ?? 0) + 1;
    this.#nameCounts.set(nameKey, n);
    const prefix = this.engines.length > 1 ? engine.info.name : '';
    const inst: Instance = {
      engine,
      selected,
      instance: n,
      paths: instanceFiles(selected.name, n, prefix),
      details: null,
      inspectError: null,
      redaction: null,
      events: 0,
      dead: false,
      dieExitCode: null,
      following: null,
      stopLog: new AbortController(),
      logFile: null,
      logError: null,
    };
    this.#instances.set(key, inst);
    if (selected.summary.state !== 'created') inst.following = this.#follow(inst);
    return inst;
  }

  async #inspect(inst: Instance): Promise<void> {
    try {
      inst.details = await inst.engine.runtime.inspect(inst.selected.summary.id, this.signal);
      inst.inspectError = null;
    } catch (error) {
      // Gone (removed by the suite): the last inspect taken is kept.
      if (inst.details === null) inst.inspectError = errorMessage(error);
    }
  }

  /** Inspect (its secrets join the redaction), then follow its log into its file until it stops. */
  async #follow(inst: Instance): Promise<void> {
    await this.#inspect(inst);
    const details = inst.details;
    if (details === null) {
      inst.logError = `log not followed: ${inst.inspectError ?? 'not inspected'}`;
      return;
    }
    if (this.resolved.redact) {
      for (const literal of collectSecretLiterals([details.raw])) this.#literals.add(literal);
      inst.redaction = compileRedaction({ literals: [...this.#literals], extraPatterns: this.resolved.redactPatterns });
    }
    const signal = AbortSignal.any([this.signal, inst.stopLog.signal]);
    const logPath = inst.paths.log;
    try {
      const { stream, finished } = inst.engine.runtime.logs({ id: details.id, tty: details.tty }, { ...this.resolved.logs, follow: true }, signal);
      const redactor = inst.redaction ? createRedactor(inst.redaction) : null;
      const limiter = this.resolved.maxLogBytes !== null ? createSizeLimiter(this.resolved.maxLogBytes) : null;
      const analyzer = createLogAnalyzer();
      const analyses = this.#analyses;
      const analysis = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          analyzer.write(chunk);
          callback(null, chunk);
        },
        flush(callback) {
          analyses.set(logPath, analyzer.end());
          callback();
        },
      });
      const packing = this.parts ? this.parts.tap(logPath) : null;
      const stages = [redactor, limiter, analysis, packing].filter((t): t is NonNullable<typeof t> => t !== null);
      const file = await writeStreamToFile(stream, this.outputDir, logPath, 'log', stages);
      inst.logFile = {
        ...file,
        ...(redactor ? { redactions: redactor.counts() } : {}),
        ...(limiter && limiter.cutBytes() > 0 ? { cutBytes: limiter.cutBytes() } : {}),
      };
      await finished.catch((error: unknown) => {
        // Ended by the recording's stop while the container still ran: everything it wrote until then is kept.
        if (error instanceof EngineCancelledError && inst.stopLog.signal.aborted) return;
        inst.logError = `logs: ${errorMessage(error)}`;
      });
    } catch (error) {
      if (error instanceof PartialFileError && error.file) inst.logFile = error.file;
      inst.logError = `logs: ${errorMessage(error)}`;
    }
  }

  async snapshot(): Promise<void> {
    await Promise.all([...this.#instances.values()].filter((i) => !i.dead).map((i) => this.#inspect(i)));
  }

  async stop(stop: StopOptions): Promise<RecordResult> {
    // Events already sent (a die, a destroy) are handled before the streams close.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await this.#queue;
    // The engine's events may lag (podman's file backend): a last listing catches a container not yet announced.
    for (const engine of this.engines) {
      const selected = await this.#select(engine).catch(() => []);
      for (const s of selected) if (!this.#instances.has(`${engine.info.name}:${s.summary.id}`)) this.#track(engine, s);
    }
    this.#stopping = true;
    await this.#queue;
    const instances = [...this.#instances.values()];
    await Promise.all(instances.filter((i) => !i.dead).map((i) => this.#inspect(i)));
    // A dead container's follow ends on its own; a live one's is ended now (after its last inspect).
    for (const inst of instances) if (!inst.dead) inst.stopLog.abort();
    await Promise.all(
      instances.map(async (inst) => {
        if (!inst.following) return;
        const timer = setTimeout(() => inst.stopLog.abort(), FOLLOW_END_GRACE_MS);
        await inst.following;
        clearTimeout(timer);
      }),
    );
    this.life.abort(new Error('recording stopped'));
    await Promise.all(this.#streams);
    await new Promise<void>((resolve) => this.#events.end(resolve));
    const keep = (this.options.when ?? 'on-failure') === 'always' || stop.failed;
    const containers = await Promise.all(instances.map((i) => this.#finishRecord(i, keep)));
    const runtimes: RuntimeSummary[] = this.engines.map((e) => ({ name: e.info.name, transport: e.info.transport, version: e.info.version, endpoint: e.info.endpoint, reason: e.reason }));
    const interruption = stop.interruption ?? null;
    const incomplete = interruption !== null || containers.some((c) => !c.complete);
    const finishedAt = this.now().toISOString();
    const base = {
      service: this.resolved.service,
      runtime: runtimes[0] as RuntimeSummary,
      runtimes,
      available: [],
      engines: [],
      missing: [],
      startedAt: this.startedAt.toISOString(),
      finishedAt,
      containers,
      incomplete,
      interruption,
      warnings: this.#warnings,
    };
    if (!keep) {
      await this.parts?.discard();
      await rm(this.outputDir, { recursive: true, force: true });
      return { ...base, outputDir: null, archivePath: null, archiveError: null, triage: null, kept: false };
    }
    const run: RunInfo = { service: this.resolved.service, runtimes, startedAt: base.startedAt, finishedAt, incomplete, interruption };
    let triage: TriageReport | null = null;
    try {
      triage = await triageRun(this.outputDir, run, containers, this.#analyses);
      await writeNewFile(join(this.outputDir, SUMMARY_FILE), renderSummaryMarkdown(triage));
      await writeNewFile(join(this.outputDir, HTML_FILE), renderHtml(triage));
    } catch (error) {
      this.#warnings.push(`SUMMARY.md and index.html not written: ${errorMessage(error)}`);
    }
    const manifest = (archive: { path: string } | null) =>
      buildManifest({
        arguments: manifestArguments(this.resolved),
        redaction: { enabled: this.resolved.redact, marker: REDACTION_MARKER },
        runtime: base.runtime,
        runtimes,
        engines: [],
        startedAt: base.startedAt,
        finishedAt,
        incomplete,
        interruption,
        missing: [],
        warnings: this.#warnings,
        archive,
        containers,
        findings: triage ? toFindingsJson(triage) : null,
        testRun: { mode: 'record', eventsFile: EVENTS_FILE, ...(this.options.testRun !== undefined ? { context: this.options.testRun } : {}) },
      });
    const archiveTarget = this.resolved.archive ? { path: archivePathOf(this.outputDir) } : null;
    await writeManifest(this.outputDir, manifest(archiveTarget));
    let archivePath: string | null = null;
    let archiveError: string | null = null;
    if (archiveTarget) {
      try {
        archivePath = await writeArchive(this.outputDir, this.parts);
      } catch (error) {
        archiveError = errorMessage(error);
        await writeManifest(this.outputDir, manifest(null), { replace: true }).catch(() => {});
      }
    }
    await this.parts?.discard();
    return { ...base, outputDir: this.outputDir, archivePath, archiveError, triage, kept: true };
  }

  /** The inspect file (last inspect taken, redacted) and the container's record. */
  async #finishRecord(inst: Instance, write: boolean): Promise<RecordedContainer> {
    const files: FileRecord[] = [];
    const errors: string[] = [];
    const d = inst.details;
    if (d && write) {
      try {
        const redacted = inst.redaction ? redactInspect(d.raw, inst.redaction) : { value: d.raw, counts: {} };
        await writeNewFile(join(this.outputDir, inst.paths.inspect), JSON.stringify(redacted.value, null, 2) + '\n');
        files.push({ ...(await describeFile(this.outputDir, inst.paths.inspect, 'inspect')), ...(inst.redaction ? { redactions: redacted.counts } : {}) });
      } catch (error) {
        errors.push(`inspect: ${errorMessage(error)}`);
      }
    } else if (!d) errors.push(`inspect: ${inst.inspectError ?? 'never inspected'}`);
    if (inst.logFile) files.push(inst.logFile);
    if (inst.logError) errors.push(inst.logError);
    const s: ContainerSummary = inst.selected.summary;
    return {
      name: inst.selected.name,
      runtime: inst.engine.info.name,
      id: d?.id || s.id,
      image: d?.image || s.image,
      // An inspect taken while it ran is superseded by its die event.
      state: inst.dead && (!d || d.state === 'running') ? 'exited' : d?.state || s.state,
      exitCode: inst.dead && inst.dieExitCode !== null && (!d || d.state === 'running') ? inst.dieExitCode : (d?.exitCode ?? inst.dieExitCode),
      oomKilled: d?.oomKilled ?? false,
      restartCount: d?.restartCount ?? 0,
      startedAt: d?.startedAt ?? null,
      finishedAt: d?.finishedAt ?? null,
      matchedBy: inst.selected.matchedBy,
      files,
      error: errors.length > 0 ? errors.join('; ') : null,
      complete: true,
      instance: inst.instance,
      events: inst.events,
    };
  }
}
