/*
 * One container (one ID) followed during a recording: its log file, written from the first follow stream to
 * the last (every run of a restarted container in one file), its last inspect, and what its events said.
 */
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import { logStages, type LogStages } from '../gather/collect.js';
import type { SelectedContainer } from '../gather/select.js';
import type { ResolvedOptions } from '../gather/options.js';
import { redactInspect, type CompiledRedaction } from '../redact/index.js';
import type { ArchiveParts } from '../run-folder/archive.js';
import type { Timeline } from '../run-folder/timeline.js';
import type { ContainerRecord } from '../run-folder/manifest.js';
import { describeFile, PartialFileError, writeNewFile, writeStreamToFile, type FileRecord } from '../run-folder/write.js';
import type { DetectedRuntime } from '../runtime/detect.js';
import { ContainerGoneError, type ContainerDetails } from '../runtime/types.js';
import type { LogAnalysis } from '../triage/analyze.js';
import { errorMessage } from '../_util/errors.js';
import type { RecordingGap } from '../gather/manifest.js';
import { LogFollower, type ContainerActivity } from './follow.js';
import { instanceFiles } from './layout.js';

/**
 * A container's record in a recording: a snapshot's record and, additively, which instance of its name it
 * was, how many of its lifecycle events events.jsonl holds, each exit its `die` events reported (a restarted
 * container has several; `restartCount` is the engine's), and how many follow streams its log took (more
 * than one: it restarted, or a stream broke and was resumed).
 */
export type RecordedContainer = ContainerRecord & {
  readonly instance: number;
  readonly events: number;
  readonly exits: readonly { readonly at: string; readonly exitCode: number | null }[];
  readonly logStreams: number;
};

/** What every instance of a recording shares. */
export interface InstanceScope {
  readonly resolved: ResolvedOptions;
  readonly outputDir: string;
  readonly parts: ArchiveParts | null;
  /** Each log's lines with their engine times, for timeline.log; null when it could not be made. */
  readonly timeline: Timeline | null;
  readonly analyses: Map<string, LogAnalysis>;
  readonly signal: AbortSignal;
  readonly hooks: { gap(gap: RecordingGap): void; readonly now: () => Date };
}

/** Inspect states that say the container's last run is over (its exit code is final). */
const STOPPED_STATES = new Set(['exited', 'dead', 'stopped']);

export class Instance {
  readonly paths: { readonly log: string; readonly inspect: string };
  details: ContainerDetails | null = null;
  inspectError: string | null = null;
  redaction: CompiledRedaction | null = null;
  events = 0;
  gone = false;
  /** An `oom` event was seen: the engine killed it for memory, whatever inspect says (podman says false). */
  oomEvent = false;
  readonly exits: { at: string; exitCode: number | null }[] = [];
  follower: LogFollower | null = null;
  #writing: Promise<void> | null = null;
  #logFile: FileRecord | null = null;
  #logError: string | null = null;

  constructor(
    readonly engine: DetectedRuntime,
    readonly selected: SelectedContainer,
    readonly instance: number,
    engineFolder: string,
    readonly scope: InstanceScope,
  ) {
    this.paths = instanceFiles(selected.name, instance, engineFolder);
  }

  get id(): string {
    return this.selected.summary.id;
  }

  /** Whether it runs, as far as the last inspect (or event) says. */
  get running(): boolean {
    if (this.gone) return false;
    const state = this.details?.state ?? this.selected.summary.state;
    return state === 'running' || state === 'restarting';
  }

  /** Take its inspect now (or the one `asked` already); a container that is gone keeps the last one taken. */
  async inspect(asked?: Promise<ContainerDetails>): Promise<ContainerActivity> {
    try {
      this.details = await (asked ?? this.engine.runtime.inspect(this.id, this.scope.signal));
      this.inspectError = null;
      return this.running ? 'running' : 'stopped';
    } catch (error) {
      if (error instanceof ContainerGoneError) this.gone = true;
      if (this.details === null) this.inspectError = errorMessage(error);
      if (this.gone) return 'gone';
      throw error;
    }
  }

  /** Follow its log into its file (once; a restart is told to the follower with {@link LogFollower.started}). */
  follow(redaction: CompiledRedaction | null): void {
    if (this.#writing !== null || this.details === null) return;
    this.redaction = redaction;
    const details = this.details;
    const follower = new LogFollower(this.engine.runtime, { id: details.id, tty: details.tty }, this.scope.resolved.logs, this.scope.signal, {
      ...this.scope.hooks,
      activity: () => this.inspect(),
      stopTimes: () => [...this.exits.map((e) => e.at), ...(this.details?.finishedAt ? [this.details.finishedAt] : [])],
      gap: (gap) => this.scope.hooks.gap({ engine: this.engine.info.name, container: this.selected.name, ...gap }),
    });
    this.follower = follower;
    const stages = logStages(this.paths.log, { ...this.scope.resolved, redaction, analyses: this.scope.analyses, archive: this.scope.parts, timeline: this.scope.timeline }, follower.passedTimes);
    this.#writing = this.#write(follower, stages);
  }

  async #write(follower: LogFollower, stages: LogStages): Promise<void> {
    const sink = new PassThrough();
    const following = follower.run(sink).then(
      (problem) => {
        this.#logError = problem;
      },
      (error: unknown) => {
        this.#logError = `logs: ${errorMessage(error)}`;
      },
    );
    void following.finally(() => sink.end());
    try {
      const file = await writeStreamToFile(sink, this.scope.outputDir, this.paths.log, 'log', stages.transforms);
      await following;
      const { source, linesCut } = follower.stats();
      this.#logFile = { ...file, ...(source ? { source } : {}), ...stages.fileFields(), ...(linesCut > 0 ? { linesCut } : {}) };
    } catch (error) {
      // The file failed (the disk is full): what reached it is kept, and the follow ends.
      follower.end();
      await following;
      if (error instanceof PartialFileError && error.file) this.#logFile = error.file;
      this.#logError = `logs: ${errorMessage(error)}`;
    }
  }

  /** Until its log file is complete. */
  async written(): Promise<void> {
    await this.#writing;
  }

  /** The inspect file (the last inspect taken, redacted) when `write`, and the record. */
  async finish(write: boolean): Promise<RecordedContainer> {
    const files: FileRecord[] = [];
    const errors: string[] = [];
    const d = this.details;
    if (d && write) {
      try {
        const redacted = this.redaction ? redactInspect(d.raw, this.redaction) : { value: d.raw, counts: {} };
        await writeNewFile(join(this.scope.outputDir, this.paths.inspect), JSON.stringify(redacted.value, null, 2) + '\n');
        files.push({ ...(await describeFile(this.scope.outputDir, this.paths.inspect, 'inspect')), ...(this.redaction ? { redactions: redacted.counts } : {}) });
      } catch (error) {
        errors.push(`inspect: ${errorMessage(error)}`);
      }
    } else if (!d) errors.push(`inspect: ${this.inspectError ?? 'never inspected'}`);
    if (this.#logFile) files.push(this.#logFile);
    if (this.#logError) errors.push(this.#logError);
    return { ...this.#state(d), files, error: errors.length > 0 ? errors.join('; ') : null, complete: true, ...this.#recorded() };
  }

  #state(d: ContainerDetails | null): Omit<ContainerRecord, 'files' | 'error' | 'complete'> {
    const s = this.selected.summary;
    const lastExit = this.exits.at(-1)?.exitCode ?? null;
    // An inspect taken while it ran (or was being removed) is superseded by a later die event: it was
    // removed before another inspect.
    const diedSince = this.exits.length > 0 && (!d || !STOPPED_STATES.has(d.state));
    return {
      name: this.selected.name,
      runtime: this.engine.info.name,
      id: d?.id || s.id,
      image: d?.image || s.image,
      state: diedSince ? 'exited' : d?.state || s.state,
      exitCode: diedSince ? lastExit : (d?.exitCode ?? lastExit),
      oomKilled: (d?.oomKilled ?? false) || this.oomEvent,
      restartCount: d?.restartCount ?? 0,
      startedAt: d?.startedAt ?? null,
      // Its last die event says when it ended when the last inspect was taken while it ran.
      finishedAt: diedSince ? (this.exits.at(-1)?.at ?? null) : (d?.finishedAt ?? null),
      matchedBy: this.selected.matchedBy,
    };
  }

  #recorded(): Pick<RecordedContainer, 'instance' | 'events' | 'exits' | 'logStreams'> {
    return { instance: this.instance, events: this.events, exits: this.exits, logStreams: this.follower?.stats().streams ?? 0 };
  }
}
