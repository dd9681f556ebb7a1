/**
 * The quantities the safety options take: sizes (`--max-log-size 50MB`) and ages (`prune --older-than 7d`).
 * (Ages are named `parseAge`, not `parseDuration`: that one is `--timeout`'s, in the CLI.)
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

const AGE_UNITS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const AGE = /^(\d+(?:\.\d+)?)(s|m|h|d|w)$/;

/**
 * An age in milliseconds: a number and a unit, `30s`, `30m`, `12h`, `7d`, `2w`, `1.5d`. The unit is
 * required and lower case (so `1M` is never read as a minute when a month was meant). `0d` is allowed.
 * Throws {@link UsageError}.
 */
export function parseAge(value: string): number {
  const match = typeof value === 'string' ? AGE.exec(value.trim()) : null;
  if (match === null) {
    throw new UsageError(`invalid age ${JSON.stringify(value)}: expected a number and a unit, e.g. 7d, 12h, 30m (s, m, h, d, w)`);
  }
  const ms = Math.round(Number(match[1]) * AGE_UNITS[match[2] as keyof typeof AGE_UNITS]);
  if (!Number.isSafeInteger(ms)) throw new UsageError(`invalid age ${JSON.stringify(value)}: too large`);
  return ms;
}
