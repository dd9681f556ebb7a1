/**
 * The process a test framework's recording runs in (started by `_record.ts`). Not in the runner's own
 * process: jest's in-band tests, mocha's and most suites' setup code call the engine synchronously
 * (`execFileSync`), and while they do the runner's event loop stands still, so a recording in that process
 * would read the engine's events only after the containers they announce were removed. Here nothing
 * blocks it. And it outlives a runner that is killed: when the runner goes (the IPC channel closes) without
 * stopping it, the recording is stopped as a failed run, and the evidence is kept.
 */
import { record, type RecordOptions, type RecordResult, type Recording } from '../record/record.js';
import { renderDigest } from '../render/digest.js';
import { errorMessage } from '../_util/errors.js';
import type { RecordProcessReply, RecordProcessRequest } from './_record.js';

const send = (reply: RecordProcessReply): void => {
  process.send?.(reply);
};

let recording: Recording | null = null;
let stopped: Promise<RecordResult> | null = null;

function stop(failed: boolean, interruption: string | null): Promise<RecordResult> | null {
  if (recording === null) return null;
  stopped ??= recording.stop({ failed, interruption });
  return stopped;
}

function sendFailure(error: unknown): void {
  const e = error instanceof Error ? error : new Error(errorMessage(error));
  const code = (e as { code?: unknown }).code;
  send({ type: 'failed', error: { name: e.name, message: e.message, ...(typeof code === 'string' ? { code } : {}) } });
}

async function start(options: RecordOptions): Promise<void> {
  try {
    recording = await record(options);
    send({ type: 'started', outputDir: recording.outputDir });
  } catch (error) {
    sendFailure(error);
    process.disconnect?.();
  }
}

async function finish(failed: boolean, interruption: string | null): Promise<void> {
  try {
    const result = await stop(failed, interruption);
    if (result) send({ type: 'stopped', result, digest: result.triage ? renderDigest(result.triage) : null });
  } catch (error) {
    sendFailure(error);
  }
  process.disconnect?.();
}

process.on('message', (message: RecordProcessRequest) => {
  if (message.type === 'start') void start(message.options);
  else if (message.type === 'stop') void finish(message.failed, message.interruption);
});
// The runner went without stopping the recording: killed, timed out, crashed. Keep what was seen.
process.on('disconnect', () => {
  void stop(true, 'the test runner ended without stopping the recording');
});
// Ctrl-C reaches the whole process group: the runner decides, and its going ends the recording above.
process.on('SIGINT', () => {});
