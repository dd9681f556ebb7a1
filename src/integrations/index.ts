/** must-gather/integrations: the pieces the framework entry points are built from, for other runners. */
export {
  cleanMessage,
  describeOutcome,
  gatherAndReport,
  gatherForTests,
  GATHER_WHEN,
  resolveRunKey,
  resolveWhen,
  TEST_RUN_FILE,
  type GatherWhen,
  type ReportingOptions,
  type RunKey,
  type TestFailure,
  type TestGatherOptions,
  type TestGatherOutcome,
  type TestRunGatherOptions,
  type TestRunInfo,
  type TestRunRecord,
} from './core.js';
export { shouldGather, type GatherDecision, type GatherDecisionInput } from './if-failed.js';
export {
  DEFAULT_POLL_MS,
  DEFAULT_STALE_MS,
  DEFAULT_WAIT_MS,
  lockName,
  LockTimeoutError,
  processAlive,
  runOnce,
  RunOnceError,
  type LockHolder,
  type RunOnceOptions,
  type RunOnceOutcome,
} from '../lock.js';
