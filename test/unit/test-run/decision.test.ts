import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/_util/errors.js';
import { shouldGather } from '../../../src/test-run/decision.js';

describe('shouldGather', () => {
  it('gathers on a non-zero exit code with on-failure (the default), not on zero', () => {
    expect(shouldGather({ exitCode: 2, env: {} })).toEqual({ gather: true, when: 'on-failure', failed: true, reason: 'the tests failed (exit code 2)' });
    expect(shouldGather({ exitCode: '0', env: {} })).toEqual({ gather: false, when: 'on-failure', failed: false, reason: 'the tests passed (exit code 0)' });
    expect(shouldGather({ exitCode: ' 137 ', env: {} })).toMatchObject({ gather: true, failed: true });
  });

  it('reads MUST_GATHER_TEST_EXIT_CODE, then GitLab’s CI_JOB_STATUS, when no exit code is given', () => {
    expect(shouldGather({ env: { MUST_GATHER_TEST_EXIT_CODE: '1' } })).toMatchObject({ gather: true, reason: 'the tests failed (MUST_GATHER_TEST_EXIT_CODE=1)' });
    expect(shouldGather({ exitCode: 0, env: { MUST_GATHER_TEST_EXIT_CODE: '1' } })).toMatchObject({ gather: false });
    expect(shouldGather({ env: { GITLAB_CI: 'true', CI_JOB_STATUS: 'failed' } })).toMatchObject({ gather: true, reason: 'the tests failed (CI_JOB_STATUS=failed)' });
    expect(shouldGather({ env: { GITLAB_CI: 'true', CI_JOB_STATUS: 'success' } })).toMatchObject({ gather: false });
    expect(shouldGather({ env: { GITLAB_CI: 'true', CI_JOB_STATUS: 'canceled' } })).toMatchObject({ gather: true });
  });

  it('needs nothing for always and never; MUST_GATHER_WHEN sets the default', () => {
    expect(shouldGather({ when: 'always', env: {} })).toEqual({ gather: true, when: 'always', failed: null, reason: 'when is always' });
    expect(shouldGather({ when: 'never', exitCode: 1, env: {} })).toMatchObject({ gather: false, when: 'never' });
    expect(shouldGather({ env: { MUST_GATHER_WHEN: 'always' } })).toMatchObject({ gather: true, when: 'always' });
  });

  it('refuses to guess: on-failure without an exit code, or a bad one, is a usage error', () => {
    expect(() => shouldGather({ env: {} })).toThrow(UsageError);
    expect(() => shouldGather({ env: {} })).toThrow(/--exit-code "\$\?" or set MUST_GATHER_TEST_EXIT_CODE/);
    expect(() => shouldGather({ env: { CI_JOB_STATUS: 'failed' } })).toThrow(UsageError);
    for (const bad of ['-1', 'x', '1.5', '']) {
      if (bad === '') continue;
      expect(() => shouldGather({ exitCode: bad, env: {} })).toThrow(/invalid exit code/);
    }
    expect(() => shouldGather({ env: { MUST_GATHER_TEST_EXIT_CODE: 'failed' } })).toThrow(/invalid MUST_GATHER_TEST_EXIT_CODE/);
    expect(() => shouldGather({ when: 'sometimes', exitCode: 1, env: {} })).toThrow(UsageError);
  });
});
