import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../../src/cli/shared.js';
import { UsageError } from '../../../src/_util/errors.js';
import { durationReader, parseAge, type TimeUnit } from '../../../src/_util/units.js';
import { toUnixSeconds } from '../../../src/runtime/api-runtime.js';
import { EngineError } from '../../../src/runtime/types.js';

/*
 * The three duration grammars side by side, through the functions that use them. One reader implements all
 * three (durationReader), so this table pins where they differ on purpose: a bare number, days and weeks,
 * sub-millisecond units, compound terms, surrounding spaces.
 */

const REJECTED = '✗';
const UNIX_TIME = 'unix time';

function timeout(value: string): number | typeof REJECTED {
  try {
    return parseDuration(value);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toBe('expected a duration such as 120, 90s, 2m or 1h');
    return REJECTED;
  }
}

function age(value: string): number | typeof REJECTED {
  try {
    return parseAge(value);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(
      `invalid age ${JSON.stringify(value)}: expected a number and a unit, e.g. 7d, 12h, 30m (s, m, h, d, w)`,
    );
    return REJECTED;
  }
}

// 2023-11-14T22:13:20Z, a whole second: "seconds back" is what toUnixSeconds subtracted, after it floors.
const NOW_S = 1_700_000_000;

function since(value: string): number | typeof REJECTED | typeof UNIX_TIME {
  try {
    const unix = toUnixSeconds(value, new Date(NOW_S * 1000));
    return unix === value ? UNIX_TIME : NOW_S - Number(unix);
  } catch (error) {
    expect(error).toBeInstanceOf(EngineError);
    expect((error as Error).message).toBe(`cannot read "${value}" as a time`);
    return REJECTED;
  }
}

describe('the three duration grammars', () => {
  // input, --timeout (ms), prune --older-than (ms), --since (seconds back from now)
  it.each<[string, number | string, number | string, number | string]>([
    // A bare number: seconds for --timeout, refused as an age, a Unix time for --since.
    ['120', 120_000, REJECTED, UNIX_TIME],
    ['1.5', 1500, REJECTED, UNIX_TIME],
    ['0', REJECTED, REJECTED, UNIX_TIME],
    ['0.0001', REJECTED, REJECTED, UNIX_TIME],
    // One term in a unit all three know.
    ['90s', 90_000, 90_000, 90],
    ['2m', 120_000, 120_000, 120],
    ['1h', 3_600_000, 3_600_000, 3600],
    ['1.5h', 5_400_000, 5_400_000, 5400],
    ['0.5m', 30_000, 30_000, 30],
    // Zero: not a timeout, a valid age and span.
    ['0s', REJECTED, 0, 0],
    ['0m', REJECTED, 0, 0],
    // Milliseconds: not an age unit.
    ['500ms', 500, REJECTED, 1],
    ['1ms', 1, REJECTED, 1],
    ['0.5ms', 1, REJECTED, 1],
    ['1500ms', 1500, REJECTED, 2],
    // Days and weeks: ages only (Go has neither).
    ['7d', REJECTED, 604_800_000, REJECTED],
    ['1.5d', REJECTED, 129_600_000, REJECTED],
    ['2w', REJECTED, 1_209_600_000, REJECTED],
    // Sub-millisecond units: --since only.
    ['1500us', REJECTED, REJECTED, 1],
    ['1500µs', REJECTED, REJECTED, 1],
    ['2000000000ns', REJECTED, REJECTED, 2],
    ['1μs', REJECTED, REJECTED, REJECTED], // Greek mu, not the micro sign
    // Compound terms: --since only.
    ['1h30m', REJECTED, REJECTED, 5400],
    ['2h0m30s', REJECTED, REJECTED, 7230],
    ['1m1m', REJECTED, REJECTED, 120],
    ['1s500ms', REJECTED, REJECTED, 2],
    ['1h30', REJECTED, REJECTED, REJECTED],
    // Spaces around: trimmed by --timeout and ages, not by --since.
    [' 30s ', 30_000, 30_000, REJECTED],
    // Refused by all three.
    ['', REJECTED, REJECTED, REJECTED],
    [' ', REJECTED, REJECTED, REJECTED],
    ['s', REJECTED, REJECTED, REJECTED],
    ['1 s', REJECTED, REJECTED, REJECTED],
    ['1S', REJECTED, REJECTED, REJECTED],
    ['1M', REJECTED, REJECTED, REJECTED],
    ['7D', REJECTED, REJECTED, REJECTED],
    ['-1m', REJECTED, REJECTED, REJECTED],
    ['+1m', REJECTED, REJECTED, REJECTED],
    ['1e3', REJECTED, REJECTED, REJECTED],
    ['1e3s', REJECTED, REJECTED, REJECTED],
    ['.5s', REJECTED, REJECTED, REJECTED],
    ['1.s', REJECTED, REJECTED, REJECTED],
    ['5sec', REJECTED, REJECTED, REJECTED],
    ['1ms5', REJECTED, REJECTED, REJECTED],
    ['1y', REJECTED, REJECTED, REJECTED],
    ['Infinity', REJECTED, REJECTED, REJECTED],
    ['abc', REJECTED, REJECTED, REJECTED],
  ])('%j: timeout %s, age %s, since %s', (value, expectedTimeout, expectedAge, expectedSince) => {
    expect([timeout(value), age(value), since(value)]).toEqual([expectedTimeout, expectedAge, expectedSince]);
  });
});

describe('durationReader', () => {
  it('reads each unit at its exact size in milliseconds and in seconds', () => {
    const ms = durationReader({ units: ['ms', 's', 'm', 'h', 'd', 'w'], result: 'ms' });
    const s = durationReader({ units: ['ns', 'us', 'µs', 'ms', 's', 'm', 'h', 'd', 'w'], result: 's' });
    const inMs: [string, number][] = [['1ms', 1], ['1s', 1000], ['1m', 60_000], ['1h', 3_600_000], ['1d', 86_400_000], ['1w', 604_800_000]];
    for (const [text, size] of inMs) expect(ms(text)).toBe(size);
    const inS: [string, number][] = [['1ns', 1e-9], ['1us', 1e-6], ['1µs', 1e-6], ['1ms', 1e-3], ['1s', 1], ['1m', 60], ['1h', 3600], ['1d', 86_400], ['1w', 604_800]];
    for (const [text, size] of inS) expect(s(text)).toBe(size);
  });

  it('matches the longest unit first, whatever order the grammar lists them in', () => {
    const units: TimeUnit[] = ['m', 's', 'ms'];
    expect(durationReader({ units, result: 'ms' })('5ms')).toBe(5);
    expect(durationReader({ units, compound: true, result: 'ms' })('1m5ms')).toBe(60_005);
  });

  it('takes a default unit for a bare number only, never for a compound term', () => {
    const read = durationReader({ units: ['s', 'm'], defaultUnit: 's', compound: true, result: 'ms' });
    expect(read('90')).toBe(90_000);
    expect(read('1m30s')).toBe(90_000);
    expect(read('1m30')).toBeNull();
  });

  it('reads the text as given: no trimming, no sign', () => {
    const read = durationReader({ units: ['s'], result: 's' });
    expect(read('1s')).toBe(1);
    expect(read(' 1s')).toBeNull();
    expect(read('-1s')).toBeNull();
  });
});
