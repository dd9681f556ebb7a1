export { gather, type GatherResult } from './gather.js';
export {
  DEFAULT_CONCURRENCY,
  DEFAULT_OUTPUT_DIR,
  DEFAULT_TIMEOUT_MS,
  resolveOptions,
  type GatherOptions,
  type ProgressEvent,
  type ResolvedOptions,
} from './options.js';
export { availableNames, hasComponent, restAfterService, selectContainers, type Selection, type Selector, type SelectedContainer } from './discover.js';
export type { ContainerRecord } from './collect.js';
export type { FileRecord } from './output.js';
export { formatTimestamp, runFolderName } from './output.js';
export { MANIFEST_FILE, RUNTIME_FILE, type Manifest, type RuntimeSummary } from './manifest.js';
export { MustGatherError, NoEngineError, UsageError, type EngineAttempt, type MustGatherErrorCode } from './errors.js';
export { ExitCode } from './exit-codes.js';
export { detectRuntime, runtimeCandidates, type DetectOptions, type DetectedRuntime } from './runtime/detect.js';
export { CliRuntime, type CliRuntimeOptions } from './runtime/cli.js';
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
