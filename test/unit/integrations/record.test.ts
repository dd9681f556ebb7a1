/**
 * Record mode's framework entry points, the parts that need no engine: options checked at once, `when:
 * 'never'`, the run as mocha's runner counts it, the lines printed, and the handover between globalSetup
 * and globalTeardown modules. Recording itself is tested on real engines (frameworks-record.test.ts).
 */
import type { Runner } from 'mocha';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/_util/errors.js';
import { handOverRecording, takeRecordings } from '../../../src/integrations/_handoff.js';
import { describeRecording, startTestRecording, type TestRecordOutcome } from '../../../src/integrations/_record.js';
import { recordTests as jestRecord, stopRecordingTests as jestStop } from '../../../src/integrations/jest.js';
import { recordTests as mochaRecord, testRunFromMochaRunner, type MochaRunnerLike, type MochaSuiteLike } from '../../../src/integrations/mocha.js';
import { recordTests as vitestRecord } from '../../../src/integrations/vitest.js';
import type { RecordResult } from '../../../src/record/record.js';

// Type level: mocha's Runner is what its global fixtures get as `this`. Never called.
export function typeCompatibility(runner: Runner): MochaRunnerLike {
  return runner;
}

function suite(tests: { title: string; state?: string }[], suites: MochaSuiteLike[] = []): MochaSuiteLike {
  return { tests: tests.map((t) => ({ state: t.state, fullTitle: () => t.title, file: 'a.test.js' })), suites };
}

describe('record entry points: options', () => {
  it('reject invalid options at once, naming the entry point, before anything starts', async () => {
    await expect(vitestRecord({ vitest: {} }, { service: 'hk orders' })).rejects.toThrow(UsageError);
    await expect(vitestRecord({ vitest: {} }, { service: 'hk orders' })).rejects.toThrow(/^recordTests\(\): /);
    await expect(jestRecord({ service: 'orders', when: 'sometimes' as never })).rejects.toThrow(/^must-gather\/jest recordTests\(\): invalid when "sometimes"/);
    expect(() => mochaRecord({ service: 'orders', env: { MUST_GATHER_WHEN: 'bogus' } })).toThrow(/^must-gather\/mocha recordTests\(\): invalid when "bogus"/);
  });

  it('when: never records nothing and starts no process; the stop says skipped', async () => {
    const lines: string[] = [];
    const recording = await startTestRecording('vitest', 'recordTests()', { service: 'orders', when: 'never', env: {}, log: (l) => lines.push(l) });
    expect(recording.outputDir).toBeNull();
    await expect(recording.stop({ failed: true })).resolves.toEqual({ status: 'skipped', reason: 'when is never' });
    expect(lines).toEqual([]);
  });
});

describe('testRunFromMochaRunner', () => {
  it('fails the run by the runner\'s count (a --parallel runner has no test states), listing failures it can see', () => {
    const root = suite([{ title: 'orders confirms', state: 'failed' }, { title: 'orders lists', state: 'passed' }]);
    expect(testRunFromMochaRunner({ failures: 1, suite: root })).toEqual({ failed: true, failures: [{ name: 'orders confirms', message: null, file: 'a.test.js' }] });
    expect(testRunFromMochaRunner({ failures: 2, suite: suite([]) })).toEqual({ failed: true, failures: [] });
    expect(testRunFromMochaRunner({ failures: 0, suite: suite([{ title: 'x', state: 'passed' }]) })).toEqual({ failed: false, failures: [] });
  });

  it('cannot tell without a runner', () => {
    expect(testRunFromMochaRunner(undefined)).toMatchObject({ failed: null, unknownReason: expect.stringContaining('runner') });
    expect(testRunFromMochaRunner({})).toMatchObject({ failed: null });
  });
});

describe('describeRecording', () => {
  const result = (over: Partial<RecordResult>): RecordResult =>
    ({ kept: true, outputDir: '/out/orders-integration-20261202-001500', archivePath: null, incomplete: false, interruption: null, containers: [{}, {}, {}], ...over }) as unknown as RecordResult;
  const recorded = (over: Partial<RecordResult>, rest: Partial<Extract<TestRecordOutcome, { status: 'recorded' }>> = {}): TestRecordOutcome => ({
    status: 'recorded',
    result: result(over),
    digest: null,
    testRunFile: null,
    warnings: [],
    ...rest,
  });

  it('says where a kept recording is, its archive, and the verdict', () => {
    expect(describeRecording(recorded({ archivePath: '/out/orders-integration-20261202-001500.tar.gz' }, { digest: 'orders: 1 of 3 containers failed' }), 'orders')).toBe(
      [
        'must-gather: recorded 3 containers of orders to /out/orders-integration-20261202-001500',
        'must-gather: archive /out/orders-integration-20261202-001500.tar.gz',
        'orders: 1 of 3 containers failed',
      ].join('\n'),
    );
    expect(describeRecording(recorded({ containers: [{}] as never, incomplete: true, interruption: 'interrupted (SIGTERM)' }), 'orders')).toBe(
      'must-gather: recorded 1 container of orders to /out/orders-integration-20261202-001500\nmust-gather: incomplete (interrupted (SIGTERM)): see manifest.json',
    );
  });

  it('says nothing for a passing run not kept, or a skip; warnings and errors are said', () => {
    expect(describeRecording(recorded({ kept: false, outputDir: null }), 'orders')).toBeNull();
    expect(describeRecording({ status: 'skipped', reason: 'when is never' }, 'orders')).toBeNull();
    expect(describeRecording(recorded({ kept: false, outputDir: null }, { warnings: ['could not write x'] }), 'orders')).toBe('must-gather: could not write x');
    expect(describeRecording({ status: 'error', error: new Error('no engine answered') }, 'orders')).toBe(
      "must-gather: could not record the containers of orders: no engine answered (the test run's result is unchanged)",
    );
  });
});

describe('handing a recording from globalSetup to globalTeardown', () => {
  it('each recording handed over is taken once, per framework', () => {
    const holder = {};
    handOverRecording('jest', 'a', holder);
    handOverRecording('jest', 'b', holder);
    handOverRecording('playwright', 'c', holder);
    expect(takeRecordings('jest', holder)).toEqual(['a', 'b']);
    expect(takeRecordings('jest', holder)).toEqual([]);
    expect(takeRecordings('playwright', holder)).toEqual(['c']);
  });

  it('stopRecordingTests() with nothing started resolves to no outcome', async () => {
    await expect(jestStop()).resolves.toEqual([]);
  });
});
