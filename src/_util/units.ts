/**
 * Quantities as people write them and as must-gather writes them back: sizes in bytes (`--max-log-size
 * 50MB`; `1.5 MiB` in the terminal report) and spans of time (`--timeout 2m`, `prune --older-than 7d`, the
 * engines' `--since 10m`).
 */
import { UsageError } from './errors.js';

const DECIMAL = { k: 1e3, m: 1e6, g: 1e9, t: 1e12 } as const;
const BINARY = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 } as const;
const SIZE = /^(\d+(?:\.\d+)?)[ \t]*(?:([kmgt])(i)?(b)?|(b))?$/i;
const SIZE_HELP = 'expected bytes with an optional unit, e.g. 50MB, 1.5GiB, 100k, 0 (k, M, G, T = 1000ⁿ; Ki, Mi, Gi, Ti = 1024ⁿ)';

/**
 * A size in bytes: `1024`, `10B`, `100k`/`100kB` (×1000), `50MB`, `2G`, `1.5GiB` (×1024³), `0`. Units are
 * case-insensitive; k, M, G, T are decimal (as Kubernetes and disk vendors use them), Ki, Mi, Gi, Ti binary.
 * Fractions are rounded to whole bytes; a plain byte count must be whole. Throws {@link UsageError}.
 */
export function parseSize(value: string): number {
  const match = typeof value === 'string' ? SIZE.exec(value.trim()) : null;
  if (match === null) throw new UsageError(`invalid size ${JSON.stringify(value)}: ${SIZE_HELP}`);
  const number = Number(match[1]);
  const prefix = match[2]?.toLowerCase() as keyof typeof DECIMAL | undefined;
  const factor = prefix === undefined ? 1 : (match[3] ? BINARY : DECIMAL)[prefix];
  if (factor === 1 && !Number.isInteger(number)) {
    throw new UsageError(`invalid size ${JSON.stringify(value)}: a byte count must be a whole number`);
  }
  const bytes = Math.round(number * factor);
  if (!Number.isSafeInteger(bytes)) throw new UsageError(`invalid size ${JSON.stringify(value)}: too large`);
  if (bytes === 0 && number !== 0) throw new UsageError(`invalid size ${JSON.stringify(value)}: less than one byte`);
  return bytes;
}

/*
 * Two ways to write bytes, because they answer different readers. formatSize writes a size back in the
 * option's own syntax, exactly (`50MB`, and parseSize reads it back to the same count): the size-limit
 * marker in a cut log names the limit that cut it. formatBytes rounds for a person scanning a list
 * (`1.5 MiB`, always binary, one decimal): log sizes in the terminal report and the renderers.
 */

/** `bytes` in the largest unit that divides it exactly: `50MB`, `1536KiB`, `52428800` → `50MiB`, `999B`. */
export function formatSize(bytes: number): string {
  const units: [string, number][] = [
    ['TiB', BINARY.t], ['GiB', BINARY.g], ['MiB', BINARY.m], ['KiB', BINARY.k],
    ['TB', DECIMAL.t], ['GB', DECIMAL.g], ['MB', DECIMAL.m], ['kB', DECIMAL.k],
  ];
  if (bytes > 0) {
    // The largest unit first; on a tie in size (none here) binary before decimal.
    const fitting = units.filter(([, factor]) => bytes % factor === 0).sort((a, b) => b[1] - a[1]);
    const best = fitting[0];
    if (best !== undefined) return `${bytes / best[1]}${best[0]}`;
  }
  return `${bytes}B`;
}

/** `bytes` rounded to one decimal in the largest binary unit under 1024 of it: `999 B`, `1.5 KiB`, `1.0 MiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  // Compare after rounding to one decimal, so 1048575 B reads 1.0 MiB, not 1024.0 KiB.
  while (value >= 1023.95 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * Seconds per unit, for every unit any duration grammar here accepts. In seconds because Go's sub-second
 * factors (1e-9, 1e-6) are exact literals only there; the milliseconds per unit below are derived, and
 * exact for ms up to w (`1e-3 * 1000 === 1`), which are all the millisecond grammars use.
 */
const SECONDS_PER = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 } as const;
export type TimeUnit = keyof typeof SECONDS_PER;

const NUMBER = String.raw`\d+(?:\.\d+)?`;

/**
 * What a duration option accepts. Each option has its own because each inherited its grammar from
 * somewhere else: `--timeout` takes bare seconds like `timeout(1)`, ages refuse a bare number and `M` (a
 * month or a minute?), `--since` takes what podman and docker take (Go's `time.ParseDuration`).
 */
export interface DurationGrammar {
  /** Units a term may carry; matched longest first, so `ms` is never read as `m` and a stray `s`. */
  readonly units: readonly TimeUnit[];
  /** Unit of a bare number (`120`); without one, every term needs a unit. */
  readonly defaultUnit?: TimeUnit;
  /** Terms in a row are summed: `1h30m`, `2h0m30s`. A bare number is only ever alone. */
  readonly compound?: boolean;
  /** What the result counts. */
  readonly result: 'ms' | 's';
}

/**
 * A reader for `grammar`: text to the span it writes, in `grammar.result` units and not rounded (rounding,
 * bounds and the error to throw are each caller's), or null when the text is not in the grammar. The text
 * is read as given: callers that forgive surrounding spaces trim first.
 */
export function durationReader(grammar: DurationGrammar): (text: string) => number | null {
  const scale = grammar.result === 'ms' ? 1000 : 1;
  const size = (unit: string): number => SECONDS_PER[unit as TimeUnit] * scale;
  const units = [...grammar.units].sort((a, b) => b.length - a.length).join('|');
  const term = `(${NUMBER})(${units})`;
  const whole = new RegExp(grammar.compound ? `^(?:${NUMBER}(?:${units}))+$` : `^${term}$`);
  const terms = new RegExp(term, 'g');
  const bare = new RegExp(`^${NUMBER}$`);
  const { defaultUnit } = grammar;
  return (text) => {
    if (defaultUnit !== undefined && bare.test(text)) return Number(text) * size(defaultUnit);
    if (!whole.test(text)) return null;
    let total = 0;
    for (const [, amount, unit] of text.matchAll(terms)) total += Number(amount) * size(unit as string);
    return total;
  };
}

/** `--timeout`, `--container-timeout`: `120` (seconds), `90s`, `2m`, `1h`, `500ms`. */
export const TIMEOUT_GRAMMAR: DurationGrammar = { units: ['ms', 's', 'm', 'h'], defaultUnit: 's', result: 'ms' };

/** `prune --older-than`: `30s`, `12h`, `7d`, `2w`, `1.5d`; the unit is required and lower case. */
const AGE_GRAMMAR: DurationGrammar = { units: ['s', 'm', 'h', 'd', 'w'], result: 'ms' };

/**
 * `--since`/`--until` as a span back from now, in seconds: what podman and docker accept there (Go's
 * `time.ParseDuration` without its sign): `10m`, `1h30m`, `1.5s`, `500ms`. No days: Go has none.
 */
export const GO_DURATION_GRAMMAR: DurationGrammar = { units: ['ns', 'us', 'µs', 'ms', 's', 'm', 'h'], compound: true, result: 's' };
const readAge = durationReader(AGE_GRAMMAR);

/**
 * An age in milliseconds: a number and a unit, `30s`, `30m`, `12h`, `7d`, `2w`, `1.5d`. The unit is
 * required and lower case (so `1M` is never read as a minute when a month was meant). `0d` is allowed.
 * Throws {@link UsageError}.
 */
export function parseAge(value: string): number {
  const age = typeof value === 'string' ? readAge(value.trim()) : null;
  if (age === null) {
    throw new UsageError(`invalid age ${JSON.stringify(value)}: expected a number and a unit, e.g. 7d, 12h, 30m (s, m, h, d, w)`);
  }
  const ms = Math.round(age);
  if (!Number.isSafeInteger(ms)) throw new UsageError(`invalid age ${JSON.stringify(value)}: too large`);
  return ms;
}
