/*
 * Record mode (issue 11): follow a service's containers while a test run lives, instead of a snapshot at
 * its end. Every container of the service that exists when the recording starts, or appears while it
 * runs, is followed: its log streamed live into its file (the stages gather uses: redaction, size limit,
 * analysis, archive tap), its inspect JSON taken when it dies and at the end, its lifecycle events appended
 * to events.jsonl. A name reused by a new container is a new instance with its own files. Engine trouble
 * never ends a recording: the watchers and followers reconnect and the gaps are recorded (watch.ts, follow.ts).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DetectedRuntime } from '../runtime/detect.js';
import type { ContainerDetails, ContainerEvent, ContainerSummary } from '../runtime/types.js';
import { findEngines } from '../gather/engines.js';
import { loadLater, openRunFolder, writeManifestAndArchive, writeTriage, type GatherResult } from '../gather/gather.js';
import { describeEngine, manifestArguments, type RecordingGap } from '../gather/manifest.js';
import { resolveOptions, type GatherOptions, type ResolvedOptions } from '../gather/options.js';
import { selectContainers, type SelectedContainer } from '../gather/select.js';
import { collectSecretLiterals, compileRedaction, REDACTION_MARKER } from '../redact/index.js';
import { ArchiveParts } from '../run-folder/archive.js';
import { writeRuntimeInfo, type RuntimeSummary } from '../run-folder/manifest.js';
import type { RunInfo } from '../run-folder/read-manifest.js';
import type { OutputBase } from '../run-folder/write.js';
import type { LogAnalysis } from '../triage/analyze.js';
import { toFindingsJson } from '../triage/findings-json.js';
import type { TriageReport } from '../triage/verdict.js';
import { errorMessage } from '../_util/errors.js';
import { linkedSignal, type LinkedSignal } from '../_util/deadline.js';
import type { GatherWhen } from '../test-run/when.js';
import { Instance, type RecordedContainer } from './instance.js';
import { EVENTS_FILE } from '../run-folder/layout.js';
import type { TimelineRecord } from '../run-folder/manifest.js';
import type { Timeline } from '../run-folder/timeline.js';
import { openTimeline, writeTimeline } from '../gather/timeline.js';
import { EventWatcher } from './watch.js';

export type { RecordedContainer } from './instance.js';

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

export interface RecordResult extends GatherResult {
  /** False when the folder was removed (`when: 'on-failure'` and the run passed). */
  readonly kept: boolean;
  /** The stretches the recording could not see (manifest.json's `gaps`). */
  readonly gaps: readonly RecordingGap[];
}

export interface Recording {
  /** The run folder being written (removed at stop when not kept). */
  readonly outputDir: string;
  /** Save the state of every live container now (inspect), without stopping. */
  snapshot(): Promise<void>;
  /** Finish the streams, write manifest.json, SUMMARY.md, index.html and the archive. */
  stop(options: StopOptions): Promise<RecordResult>;
}

/**
 * How often the engines are listed while recording, besides their events: a container whose events the
 * engine never delivered (podman's file backend, a stream that broke unnoticed) is still followed.
 */
const LIST_EVERY_MS = 2_000;

/** How long a stopped container's stream in flight may go without a byte at the end before it is ended. */
const FOLLOW_END_GRACE_MS = 5_000;

/**
 * Start recording a service's containers. Resolves once the engines are watched and the containers that
 * exist already are being followed: start the tests after that.
 */
export async function record(options: RecordOptions): Promise<Recording> {
  const resolved = resolveOptions(options);
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  const life = linkedSignal(options.signal);
  let timeline: Timeline | null = null;
  try {
    const { engines } = await findEngines(options, resolved, life.signal);
    const { outputDir, base } = await openRunFolder({ resolved, startedAt, progress: options.onProgress ?? (() => {}) }, []);
    const parts = resolved.archive ? await ArchiveParts.create(outputDir).catch(() => null) : null;
    // How many containers will come is not known yet: opened for two, written at the end only if two came.
    timeline = await openTimeline(outputDir, 2, resolved.maxLogBytes).catch(() => null);
    const recorder = new Recorder({ options, resolved, outputDir, base, parts, timeline, engines, life, now, startedAt });
    await recorder.start();
    return recorder;
  } catch (error) {
    await timeline?.discard();
    life.dispose();
    throw error;
  }
}

interface RecorderScope {
  readonly options: RecordOptions;
  readonly resolved: ResolvedOptions;
  readonly outputDir: string;
  readonly base: OutputBase;
  readonly parts: ArchiveParts | null;
  readonly timeline: Timeline | null;
  readonly engines: readonly DetectedRuntime[];
  /** The recording's life: aborted by the caller's signal or at the end of stop. */
  readonly life: LinkedSignal;
  readonly now: () => Date;
  readonly startedAt: Date;
}

class Recorder implements Recording {
  readonly #instances = new Map<string, Instance>();
  readonly #nameCounts = new Map<string, number>();
  /** IDs of containers an event named that are not the service's: not listed again. */
  readonly #foreign = new Set<string>();
  readonly #analyses = new Map<string, LogAnalysis>();
  /** Inspects asked as an event was read ({@link #inspectEarly}), taken by {@link #track}. */
  readonly #early = new Map<string, Promise<ContainerDetails>>();
  readonly #literals = new Set<string>();
  readonly #warnings: string[] = [];
  readonly #gaps: RecordingGap[] = [];
  readonly #watchers: EventWatcher[] = [];
  readonly #events: WriteStream;
  /** Engine folders made so far (several engines watched): only those that got a container. */
  readonly #folders = new Map<string, Promise<void>>();
  /** Events are handled one at a time, in the order each engine sent them. */
  #queue: Promise<void> = Promise.resolve();
  #stopping = false;
  #lister: NodeJS.Timeout | null = null;
  /** A listing is queued or running: the next tick does not queue another. */
  #listing = false;

  constructor(readonly s: RecorderScope) {
    this.#events = createWriteStream(join(s.outputDir, EVENTS_FILE), { flags: 'wx', mode: 0o600 });
    this.#events.on('error', (error) => this.#warnings.push(`${EVENTS_FILE}: ${errorMessage(error)}`));
  }

  get outputDir(): string {
    return this.s.outputDir;
  }

  async start(): Promise<void> {
    for (const engine of this.s.engines) {
      // Watched from the recording's start (the engine replays what came since), then listed: a container
      // created in between is seen by one or the other, and tracked once by ID.
      const watcher = new EventWatcher(engine, this.s.startedAt, this.s.life.signal, {
        event: (event) => {
          this.#inspectEarly(engine, event);
          return this.#enqueue(() => this.#onEvent(engine, event));
        },
        reconnected: () => this.#enqueue(() => this.#lookAgain(engine)),
        gap: (gap) => this.#gaps.push(gap),
        now: this.s.now,
      });
      this.#watchers.push(watcher);
      watcher.start();
      for (const selected of await this.#select(engine)) await this.#track(engine, selected);
    }
    this.#lister = setInterval(() => this.#listAgain(), LIST_EVERY_MS);
    this.#lister.unref();
  }

  /** Between events, the engines listed: a container of the service not tracked yet is (engine trouble is the watcher's). */
  #listAgain(): void {
    if (this.#listing) return;
    this.#listing = true;
    void this.#enqueue(() => this.#trackListed()).finally(() => (this.#listing = false));
  }

  /** Every container of the service the engines list now, tracked (once by ID). */
  async #trackListed(): Promise<void> {
    for (const engine of this.s.engines) for (const selected of await this.#select(engine).catch(() => [])) await this.#track(engine, selected);
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    const next = this.#queue.then(task).catch((error: unknown) => {
      this.#warnings.push(`event not handled: ${errorMessage(error)}`);
    });
    this.#queue = next;
    return next;
  }

  async #select(engine: DetectedRuntime): Promise<SelectedContainer[]> {
    const signal = this.s.life.signal;
    const all = await engine.runtime.list({ signal });
    const labelled = this.s.resolved.labels.length > 0 ? await engine.runtime.list({ labels: this.s.resolved.labels, signal }) : [];
    return this.#selectFrom(all, labelled);
  }

  #selectFrom(all: readonly ContainerSummary[], labelled: readonly ContainerSummary[]): SelectedContainer[] {
    const r = this.s.resolved;
    return selectContainers(all, { service: r.service, aliases: r.aliases, components: r.components, containers: r.containers }, labelled).selected;
  }

  /**
   * Whether the container an event names is the service's. By its name, as the event gives it, without
   * asking the engine: a short-lived container may be gone a moment later (podman's events come ~0.25 s
   * late). Labels need the engine's listing.
   */
  async #selectNew(engine: DetectedRuntime, event: ContainerEvent): Promise<SelectedContainer | undefined> {
    if (this.s.resolved.labels.length === 0 && event.name !== '') return this.#selectByName(event);
    return (await this.#select(engine).catch(() => [])).find((s) => s.summary.id === event.id);
  }

  #selectByName(event: ContainerEvent): SelectedContainer | undefined {
    return this.#selectFrom([{ id: event.id, names: [event.name], image: event.image ?? '', state: 'created' }], [])[0];
  }

  /**
   * A new container of the service (by its name): its inspect is asked at once, as the event is read, not
   * when the queue reaches it (a suite's fixture may remove it a fraction of a second after creating it).
   */
  #inspectEarly(engine: DetectedRuntime, event: ContainerEvent): void {
    const key = `${engine.info.name}:${event.id}`;
    if (this.#stopping || (event.action !== 'create' && event.action !== 'start') || this.#instances.has(key) || this.#early.has(key)) return;
    if (this.s.resolved.labels.length > 0 || event.name === '' || this.#selectByName(event) === undefined) return;
    const asked = engine.runtime.inspect(event.id, this.s.life.signal);
    asked.catch(() => {});
    this.#early.set(key, asked);
  }

  /** After engine trouble: a log stream waiting to be resumed is asked now, containers created meanwhile are tracked, every known one inspected again. */
  async #lookAgain(engine: DetectedRuntime): Promise<void> {
    const mine = () => [...this.#instances.values()].filter((i) => i.engine === engine && !i.gone);
    for (const inst of mine()) inst.follower?.retryNow();
    for (const selected of await this.#select(engine)) await this.#track(engine, selected);
    await Promise.all(mine().map((i) => i.inspect().catch(() => {})));
  }

  async #onEvent(engine: DetectedRuntime, event: ContainerEvent): Promise<void> {
    const key = `${engine.info.name}:${event.id}`;
    let inst = this.#instances.get(key);
    if (!inst && !this.#stopping && (event.action === 'create' || event.action === 'start') && !this.#foreign.has(key)) {
      const found = await this.#selectNew(engine, event);
      if (found) inst = await this.#track(engine, found);
      else this.#foreign.add(key);
    }
    if (!inst) return;
    inst.events++;
    // The engine's normalised event (as snapshot mode writes them, for the verdict), and which instance it was.
    const line = { ...event, name: event.name || inst.selected.name, instance: inst.instance };
    this.#events.write(JSON.stringify(line) + '\n');
    switch (event.action) {
      case 'start':
      case 'restart':
        if (inst.follower) inst.follower.started(event.time);
        else await this.#startFollowing(inst);
        break;
      case 'oom':
        inst.oomEvent = true;
        break;
      case 'die':
        inst.exits.push({ at: event.time, exitCode: event.exitCode ?? null });
        await inst.inspect().catch(() => {});
        break;
      case 'destroy':
        inst.gone = true;
        break;
    }
  }

  /** A new instance of the container's name, followed unless it was only created. */
  async #track(engine: DetectedRuntime, selected: SelectedContainer): Promise<Instance> {
    const key = `${engine.info.name}:${selected.summary.id}`;
    const existing = this.#instances.get(key);
    if (existing) return existing;
    const nameKey = `${engine.info.name}:${selected.name}`;
    const n = (this.#nameCounts.get(nameKey) ?? 0) + 1;
    this.#nameCounts.set(nameKey, n);
    const folder = this.s.engines.length > 1 ? engine.info.name : '';
    const inst = new Instance(engine, selected, n, folder, {
      resolved: this.s.resolved,
      outputDir: this.s.outputDir,
      parts: this.s.parts,
      timeline: this.s.timeline,
      analyses: this.#analyses,
      signal: this.s.life.signal,
      hooks: { gap: (gap) => this.#gaps.push(gap), now: this.s.now },
    });
    this.#instances.set(key, inst);
    // Several engines watched: each one's files go to a folder named after it, made once it has a container.
    if (folder !== '' && !this.#folders.has(folder)) this.#folders.set(folder, mkdir(join(this.s.outputDir, folder), { mode: 0o700 }).then(() => {}));
    await this.#folders.get(folder);
    // Inspected at once (it may be gone a moment later), and followed unless it was only created.
    const asked = this.#early.get(key);
    this.#early.delete(key);
    await inst.inspect(asked).catch(() => {});
    if ((inst.details?.state ?? selected.summary.state) !== 'created') await this.#startFollowing(inst);
    return inst;
  }

  /** Inspect (its secrets join the redaction of every log from now on), then follow its log. */
  async #startFollowing(inst: Instance): Promise<void> {
    if (inst.follower) return;
    if (inst.details === null) await inst.inspect().catch(() => {});
    if (inst.details === null) return;
    let redaction = null;
    if (this.s.resolved.redact) {
      for (const literal of collectSecretLiterals([inst.details.raw])) this.#literals.add(literal);
      redaction = compileRedaction({ literals: [...this.#literals], extraPatterns: this.s.resolved.redactPatterns });
    }
    inst.follow(redaction);
  }

  async snapshot(): Promise<void> {
    // Not only those the last inspect saw running: one inspected when created has started since.
    await Promise.all([...this.#instances.values()].filter((i) => !i.gone).map((i) => i.inspect().catch(() => {})));
  }

  async stop(stop: StopOptions): Promise<RecordResult> {
    const instances = await this.#settle();
    const keep = (this.s.options.when ?? 'on-failure') === 'always' || stop.failed;
    const containers = await Promise.all(instances.map((i) => i.finish(keep)));
    try {
      return keep ? await this.#write(containers, stop.interruption ?? null) : await this.#discard(containers);
    } finally {
      await this.s.timeline?.discard();
      this.s.life.dispose();
    }
  }

  /**
   * The end of the watch: the events up to now (a lagging one is not lost), a last listing (a container
   * no event announced yet), a last inspect of every container, then the log streams finished.
   */
  async #settle(): Promise<Instance[]> {
    if (this.#lister !== null) clearInterval(this.#lister);
    await Promise.all(this.#watchers.map((w) => w.catchUp()));
    await this.#enqueue(() => this.#trackListed());
    this.#stopping = true;
    const instances = [...this.#instances.values()];
    await Promise.all(instances.filter((i) => !i.gone).map((i) => i.inspect().catch(() => {})));
    for (const inst of instances) {
      // A live container's log is read to its end now (after its last inspect); a stopped one's stream delivers the rest.
      if (inst.running) inst.follower?.readToEndAndStop();
      else inst.follower?.finish();
    }
    // A stream still delivering a stopped container's backlog is let finish; one silent for the grace period is ended.
    await Promise.all(
      instances.map(async (inst) => {
        let last = -1;
        const timer = setInterval(() => {
          const now = inst.follower?.received() ?? 0;
          if (now === last) inst.follower?.end();
          last = now;
        }, FOLLOW_END_GRACE_MS);
        await inst.written();
        clearInterval(timer);
      }),
    );
    this.s.life.abort(new Error('recording stopped'));
    await Promise.all(this.#watchers.map((w) => w.stop()));
    await this.#queue;
    await new Promise<void>((resolve) => this.#events.end(resolve));
    return instances;
  }

  /** What a result says of the engines and the run, kept or not. */
  #base(containers: readonly RecordedContainer[], interruption: string | null) {
    const runtimes: RuntimeSummary[] = this.s.engines.map((e) => ({ name: e.info.name, transport: e.info.transport, version: e.info.version, endpoint: e.info.endpoint, reason: e.reason }));
    return {
      service: this.s.resolved.service,
      runtime: runtimes[0] as RuntimeSummary,
      runtimes,
      available: [],
      engines: [],
      missing: [],
      startedAt: this.s.startedAt.toISOString(),
      finishedAt: this.s.now().toISOString(),
      containers,
      incomplete: interruption !== null || containers.some((c) => !c.complete),
      interruption,
      warnings: this.#warnings,
      gaps: [...this.#gaps].sort((a, b) => a.from.localeCompare(b.from)),
    };
  }

  async #discard(containers: readonly RecordedContainer[]): Promise<RecordResult> {
    await this.s.parts?.discard();
    await rm(this.s.outputDir, { recursive: true, force: true });
    return { ...this.#base(containers, null), outputDir: null, outputBase: this.s.base, archivePath: null, archiveError: null, triage: null, kept: false };
  }

  /** SUMMARY.md, index.html, each engine's runtime.json, manifest.json and the archive, as gather writes them. */
  async #write(containers: readonly RecordedContainer[], interruption: string | null): Promise<RecordResult> {
    const { resolved, outputDir, parts } = this.s;
    const base = this.#base(containers, interruption);
    const timeline = await this.#timeline(containers);
    const run: RunInfo = {
      service: resolved.service,
      runtimes: base.runtimes,
      startedAt: base.startedAt,
      finishedAt: base.finishedAt,
      incomplete: base.incomplete,
      interruption,
      timeline: timeline && { path: timeline.path, lines: timeline.lines, firstError: timeline.firstError },
    };
    let triage: TriageReport | null = null;
    try {
      triage = await writeTriage(loadLater(false), outputDir, run, containers, this.#analyses);
    } catch (error) {
      this.#warnings.push(`SUMMARY.md and index.html not written: ${errorMessage(error)}`);
    }
    await this.#runtimeFiles(containers);
    try {
      const { archivePath, archiveError } = await writeManifestAndArchive(
        { resolved, progress: this.s.options.onProgress ?? (() => {}) },
        outputDir,
        parts,
        {
          arguments: manifestArguments(resolved),
          outputBase: this.s.base,
          redaction: { enabled: resolved.redact, marker: REDACTION_MARKER },
          runtime: base.runtime,
          runtimes: base.runtimes,
          engines: [],
          startedAt: base.startedAt,
          incomplete: base.incomplete,
          interruption,
          missing: [],
          containers,
          gaps: base.gaps,
          findings: triage ? toFindingsJson(triage) : null,
          timeline,
          testRun: { mode: 'record', eventsFile: EVENTS_FILE, ...(this.s.options.testRun !== undefined ? { context: this.s.options.testRun } : {}) },
        },
        { warnings: this.#warnings, finishedAt: base.finishedAt },
      );
      return { ...base, outputDir, outputBase: this.s.base, archivePath, archiveError, triage, kept: true };
    } finally {
      await parts?.discard();
    }
  }

  /** timeline.log, as gather writes it: when two or more logs were recorded. */
  async #timeline(containers: readonly RecordedContainer[]): Promise<TimelineRecord | null> {
    const timeline = this.s.timeline;
    if (timeline === null || containers.filter((c) => c.files.some((f) => f.kind === 'log')).length < 2) return null;
    return writeTimeline(this.s.outputDir, timeline, containers, this.#analyses).catch((error: unknown) => {
      this.#warnings.push(`timeline.log not written: ${errorMessage(error)}`);
      return null;
    });
  }

  /** runtime.json of each engine that had a container (in its folder when several were watched). */
  async #runtimeFiles(containers: readonly RecordedContainer[]): Promise<void> {
    const used = this.s.engines.filter((e) => containers.some((c) => c.runtime === e.info.name));
    const multi = this.s.engines.length > 1;
    await Promise.all(
      used.map((engine) =>
        writeRuntimeInfo(join(this.s.outputDir, multi ? engine.info.name : ''), engine, describeEngine(engine.runtime, this.s.resolved.engineInfo)).catch((error: unknown) => {
          this.#warnings.push(`runtime.json of ${engine.info.name} not written: ${errorMessage(error)}`);
        }),
      ),
    );
  }
}
