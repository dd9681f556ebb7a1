/**
 * Whether to gather when the failure is known only from outside: the exit code of the test command
 * (`go test`, `pytest`, `make`), or the CI's job status. Pure: the CLI's `--when`, `--if-failed` and
 * `--exit-code` flags map onto it.
 */
import { UsageError } from '../_util/errors.js';
import { resolveWhen, type GatherWhen } from './gather-for-tests.js';

export interface GatherDecisionInput {
  /** Default env `MUST_GATHER_WHEN`, else `on-failure`. */
  readonly when?: GatherWhen | string;
  /** The test command's exit status (`$?`); else env `MUST_GATHER_TEST_EXIT_CODE`, else GitLab's `CI_JOB_STATUS`. */
  readonly exitCode?: number | string | null;
  readonly env?: NodeJS.ProcessEnv;
}

export interface GatherDecision {
  readonly gather: boolean;
  readonly when: GatherWhen;
  /** Whether the tests failed, or null when that was not needed (`always`, `never`). */
  readonly failed: boolean | null;
  /** In words, for the report: `exit code 2`, `MUST_GATHER_TEST_EXIT_CODE=0`, `CI_JOB_STATUS=failed`. */
  readonly reason: string;
}

function parseExitCode(value: number | string, what: string): number {
  const text = String(value).trim();
  if (!/^\d{1,10}$/.test(text)) throw new UsageError(`invalid ${what} ${JSON.stringify(String(value))}: expected the test command's exit status, a whole number such as 0 or 1`);
  return Number(text);
}

/** The test outcome from the exit code or the CI, or null when nothing says. */
function knownOutcome(exitCode: number | string | null | undefined, env: NodeJS.ProcessEnv): { failed: boolean; reason: string } | null {
  if (exitCode !== undefined && exitCode !== null && exitCode !== '') {
    const code = parseExitCode(exitCode, 'exit code');
    return { failed: code !== 0, reason: `exit code ${code}` };
  }
  if (env.MUST_GATHER_TEST_EXIT_CODE) {
    const code = parseExitCode(env.MUST_GATHER_TEST_EXIT_CODE, 'MUST_GATHER_TEST_EXIT_CODE');
    return { failed: code !== 0, reason: `MUST_GATHER_TEST_EXIT_CODE=${code}` };
  }
  // GitLab's after_script sees the job's status; `canceled` and `failed` both mean the job did not pass.
  if (env.GITLAB_CI === 'true' && env.CI_JOB_STATUS) {
    return { failed: env.CI_JOB_STATUS !== 'success', reason: `CI_JOB_STATUS=${env.CI_JOB_STATUS}` };
  }
  return null;
}

/**
 * Decide whether to gather. `always` and `never` need nothing else; `on-failure` needs the test command's
 * exit status (or GitLab's job status) and throws {@link UsageError} without one, rather than guess.
 */
export function shouldGather(input: GatherDecisionInput = {}): GatherDecision {
  const env = input.env ?? process.env;
  const when = resolveWhen(input.when, env);
  if (when === 'always') return { gather: true, when, failed: null, reason: 'when is always' };
  if (when === 'never') return { gather: false, when, failed: null, reason: 'when is never' };
  const outcome = knownOutcome(input.exitCode, env);
  if (outcome === null) {
    throw new UsageError(
      'gathering on failure needs the test command\'s exit status: pass --exit-code "$?" or set MUST_GATHER_TEST_EXIT_CODE (GitLab\'s after_script: CI_JOB_STATUS is read)',
    );
  }
  return {
    gather: outcome.failed,
    when,
    failed: outcome.failed,
    reason: outcome.failed ? `the tests failed (${outcome.reason})` : `the tests passed (${outcome.reason})`,
  };
}
