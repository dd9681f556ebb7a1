/*
 * The public API, by name. Everything else is private to the package, on purpose: `ApiRuntime` (detection
 * builds it from an endpoint; callers inject a ContainerRuntime, e.g. `CliRuntime`, instead), the stages of
 * a run, the renderers. `prune` and `loadRun` are public: a teardown may clean old runs, a tool may re-judge
 * a saved (or downloaded) run folder.
 */
export { gather, type GatherResult } from './gather/gather.js';
export {
  DEFAULT_CONCURRENCY,
  DEFAULT_OUTPUT_DIR,
  DEFAULT_TIMEOUT_MS,
  resolveOptions,
  type GatherOptions,
  type ProgressEvent,
  type ResolvedOptions,
} from './gather/options.js';
export { availableNames, hasComponent, restAfterService, selectContainers, type Selection, type Selector, type SelectedContainer } from './gather/select.js';
export type { Manifest } from './gather/manifest.js';
export type { ContainerRecord, RuntimeSummary } from './run-folder/manifest.js';
export type { FileRecord } from './run-folder/write.js';
export { formatTimestamp, MANIFEST_FILE, RUNTIME_FILE, runFolderName } from './run-folder/layout.js';
export { prune, type PruneOptions, type PruneResult } from './run-folder/prune.js';
export { loadRun, type ContainerTriage, type TriageReport } from './triage/verdict.js';
export { MustGatherError, NoEngineError, UsageError, type EngineAttempt, type MustGatherErrorCode } from './_util/errors.js';
export { ExitCode } from './cli/exit-codes.js';
export { detectRuntime, runtimeCandidates, type DetectOptions, type DetectedRuntime } from './runtime/detect.js';
export { CliRuntime, type CliRuntimeOptions } from './runtime/cli-runtime.js';
export {
  ContainerGoneError,
  EngineCancelledError,
  EngineError,
  type ContainerDetails,
  type ContainerRuntime,
  type ContainerSummary,
  type LogOptions,
  type RuntimeChoice,
  type RuntimeInfo,
  type RuntimeName,
} from './runtime/types.js';
export { record, type RecordOptions, type Recording, type RecordResult, type RecordedContainer, type StopOptions } from './record/record.js';
