import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../../src/cli/shared.js';

describe('parseDuration', () => {
  it.each([
    ['120', 120_000],
    ['1', 1000],
    ['90s', 90_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['500ms', 500],
    ['1ms', 1],
    ['1.5', 1500],
    ['0.5m', 30_000],
    [' 30s ', 30_000],
  ])('%j → %d ms', (value, ms) => {
    expect(parseDuration(value)).toBe(ms);
  });

  it.each(['', ' ', 'abc', '-1', '0', '0s', '0ms', '0.0001', '1d', '1 s', 's', '1e3', '.5', '1.', '5sec', 'Infinity'])('rejects %j', (value) => {
    let caught: unknown;
    try {
      parseDuration(value);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidArgumentError);
    expect((caught as Error).message).toBe('expected a duration such as 120, 90s, 2m or 1h');
  });
});
