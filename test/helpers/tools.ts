import { describe, it } from 'vitest';

/**
 * `describe` for a suite that needs a tool besides the engines (a toolchain, a test runner), with the
 * rule of `describeWithEngine`: when `problem` says why the tool cannot be used, the suite is skipped with
 * a visible notice, except under CI=true, where it is a failing test, never a skip.
 */
export function describeWithTool(title: string, problem: string | null, body: () => void): void {
  if (problem === null) {
    describe(title, body);
    return;
  }
  if (process.env.CI === 'true') {
    describe(title, () => {
      it('has its tools under CI', () => {
        throw new Error(`tool missing under CI: ${problem}`);
      });
    });
    return;
  }
  process.stderr.write(`\n*** SKIPPED "${title}": ${problem}. Run: npm run setup-engines ***\n\n`);
  describe.skip(`${title} (skipped: ${problem})`, body);
}
