import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/_util/errors.js';
import { formatSize, parseAge, parseSize } from '../../../src/_util/units.js';

function usageError(run: () => unknown): Error {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(UsageError);
  return caught as Error;
}

describe('parseSize', () => {
  it.each<[string, number]>([
    ['0', 0],
    ['1024', 1024],
    ['10B', 10],
    ['10 b', 10],
    ['100k', 100_000],
    ['100kB', 100_000],
    ['100KB', 100_000],
    ['50MB', 50_000_000],
    ['50mb', 50_000_000],
    ['50M', 50_000_000],
    ['2G', 2_000_000_000],
    ['1TB', 1e12],
    ['1Ki', 1024],
    ['1KiB', 1024],
    ['1.5GiB', 1_610_612_736],
    ['50MiB', 52_428_800],
    ['0.5k', 500],
    ['1.1k', 1100],
    [' 7MB ', 7_000_000],
    ['0MB', 0],
  ])('%j → %d bytes', (value, bytes) => {
    expect(parseSize(value)).toBe(bytes);
  });

  it.each(['', ' ', 'MB', '-1', '-1MB', '1.5', '1e6', '.5MB', '5.MB', '50XB', '50 M B', '50MBs', '0x10', 'Infinity', '1PB', '1bi'])(
    'rejects %j',
    (value) => {
      expect(usageError(() => parseSize(value)).message).toMatch(/^invalid size ".*": /);
    },
  );

  it('explains the units', () => {
    expect(usageError(() => parseSize('50XB')).message).toBe(
      'invalid size "50XB": expected bytes with an optional unit, e.g. 50MB, 1.5GiB, 100k, 0 (k, M, G, T = 1000ⁿ; Ki, Mi, Gi, Ti = 1024ⁿ)',
    );
    expect(usageError(() => parseSize('1.5')).message).toBe('invalid size "1.5": a byte count must be a whole number');
    expect(usageError(() => parseSize('0.0001k')).message).toBe('invalid size "0.0001k": less than one byte');
    expect(usageError(() => parseSize('99999999T')).message).toBe('invalid size "99999999T": too large');
  });
});

describe('formatSize', () => {
  it.each<[number, string]>([
    [0, '0B'],
    [999, '999B'],
    [1000, '1kB'],
    [1024, '1KiB'],
    [1536, '1536B'],
    [1_536_000, '1500KiB'],
    [1_537_000, '1537kB'],
    [50_000_000, '50MB'],
    [52_428_800, '50MiB'],
    [1_610_612_736, '1536MiB'],
    [2 ** 40, '1TiB'],
  ])('%d → %s', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
  });

  it('round-trips through parseSize', () => {
    for (const bytes of [1, 999, 1000, 1024, 4096, 50_000_000, 52_428_800, 123_456_789]) expect(parseSize(formatSize(bytes))).toBe(bytes);
  });
});

describe('parseAge', () => {
  it.each<[string, number]>([
    ['30s', 30_000],
    ['30m', 1_800_000],
    ['12h', 43_200_000],
    ['7d', 604_800_000],
    ['2w', 1_209_600_000],
    ['1.5d', 129_600_000],
    ['0d', 0],
    [' 7d ', 604_800_000],
  ])('%j → %d ms', (value, ms) => {
    expect(parseAge(value)).toBe(ms);
  });

  it.each(['', '7', '7D', '1M', '7 d', 'd', '-1d', '1y', '.5d', '7days', '1e3d'])('rejects %j', (value) => {
    expect(usageError(() => parseAge(value)).message).toBe(
      `invalid age ${JSON.stringify(value)}: expected a number and a unit, e.g. 7d, 12h, 30m (s, m, h, d, w)`,
    );
  });

  it('rejects ages too large to count in milliseconds', () => {
    expect(usageError(() => parseAge('99999999999w')).message).toBe('invalid age "99999999999w": too large');
  });
});
