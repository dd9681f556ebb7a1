import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gatherForTests } from '../../../src/test-run/gather-for-tests.js';
import { isRecorded, markRecording, RECORDING_ENV } from '../../../src/test-run/recording-marker.js';
import { tempDir } from '../../helpers/engines.js';

describe('markRecording and isRecorded', () => {
  it('marks a service in the environment and takes the mark back once, leaving other services marked', () => {
    const env: NodeJS.ProcessEnv = {};
    const unmarkA = markRecording('orders', env);
    const unmarkB = markRecording('billing', env);
    expect(env[RECORDING_ENV]).toBe('orders billing');
    expect([isRecorded('orders', env), isRecorded('billing', env), isRecorded('order', env), isRecorded('ord', env)]).toEqual([true, true, false, false]);
    unmarkA();
    unmarkA();
    expect(env[RECORDING_ENV]).toBe('billing');
    unmarkB();
    expect(RECORDING_ENV in env).toBe(false);
  });

  it('a mark removed by someone else is not taken from another service', () => {
    const env: NodeJS.ProcessEnv = {};
    const unmark = markRecording('orders', env);
    env[RECORDING_ENV] = 'billing';
    unmark();
    expect(env[RECORDING_ENV]).toBe('billing');
  });

  it('reads a mark inherited from a parent process (extra spaces are fine)', () => {
    expect(isRecorded('orders', { [RECORDING_ENV]: '  billing  orders ' })).toBe(true);
    expect(isRecorded('orders', { [RECORDING_ENV]: '' })).toBe(false);
    expect(isRecorded('orders', {})).toBe(false);
  });
});

describe('gatherForTests while the service is being recorded', () => {
  it('skips a failed run of that service, touching nothing; another service still gathers', async () => {
    const dir = tempDir();
    const env = { [RECORDING_ENV]: 'orders' };
    await expect(gatherForTests({ service: 'orders', outputDir: dir, env, failed: true })).resolves.toEqual({
      status: 'skipped',
      reason: `orders is being recorded (${RECORDING_ENV})`,
    });
    await expect(gatherForTests({ service: 'orders', outputDir: dir, env, failed: false, when: 'always' })).resolves.toMatchObject({ status: 'skipped' });
    expect(readdirSync(dir)).toEqual([]);
    // Not recorded: it tries to gather (and, with no engine here, reports that instead of skipping).
    const other = await gatherForTests({ service: 'billing', outputDir: dir, env: { ...env, PATH: '/nonexistent' }, failed: true, runtime: 'docker', transport: 'cli' });
    expect(other.status).toBe('error');
  });

  it('still refuses invalid options first: a mistake shows on a recorded run too', async () => {
    const outcome = await gatherForTests({ service: 'orders', outputDir: tempDir(), env: { [RECORDING_ENV]: 'orders' }, failed: true, when: 'sometimes' as never });
    expect(outcome).toMatchObject({ status: 'error' });
  });
});
