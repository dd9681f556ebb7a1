/** must-gather/integrations: the pieces the framework entry points are built from, for other runners. */
export {
  checkTestGatherOptions,
  cleanMessage,
  describeOutcome,
  gatherAndReport,
  gatherForTests,
  GATHER_WHEN,
  resolveRunKey,
  resolveWhen,
  testRunLockKey,
  type GatherWhen,
  type ReportingOptions,
  type RunKey,
  type TestFailure,
  type TestGatherOptions,
  type TestGatherOutcome,
  type TestRunGatherOptions,
  type TestRunInfo,
  type TestRunRecord,
} from '../test-run/gather-for-tests.js';
export { TEST_RUN_FILE } from '../run-folder/layout.js';
export { isRecorded, markRecording, RECORDING_ENV } from '../test-run/recording-marker.js';
export {
  describeRecording,
  startTestRecording,
  type StopRecording,
  type TestRecording,
  type TestRecordOptions,
  type TestRecordOutcome,
} from './_record.js';
export { shouldGather, type GatherDecision, type GatherDecisionInput } from '../test-run/decision.js';
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
} from '../test-run/lock.js';
