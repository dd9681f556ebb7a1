/**
 * The framework entry points check their options when they are set up — the reporter or hooks created as
 * the config loads, a teardown helper called — whatever the run's outcome, so that a mistake shows on the
 * first run rather than as a gather lost on the first failing one. The rules are gather()'s own and the
 * test-run ones ({@link checkTestGatherOptions}); the error names the entry point.
 */
import { MustGatherError, UsageError } from '../_util/errors.js';
import { checkTestGatherOptions, type ReportingOptions, type TestGatherOptions } from '../test-run/gather-for-tests.js';

/** `options`, checked; throws {@link UsageError} as `<where>: <what is wrong>`. */
export function checkedOptions<T extends TestGatherOptions & ReportingOptions>(where: string, options: T): T {
  try {
    checkTestGatherOptions(options);
  } catch (error) {
    throw error instanceof MustGatherError && error.code === 'USAGE' ? new UsageError(`${where}: ${error.message}`, { cause: error }) : error;
  }
  return options;
}

/** A yes/no option of an entry point itself (jest's `gather`). */
export function checkedFlag(where: string, name: string, value: unknown): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  throw new UsageError(`${where}: invalid ${name} ${JSON.stringify(value) ?? String(value)}: expected true or false`);
}
