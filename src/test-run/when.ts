/*
 * The `when` choices alone, apart from gather-for-tests.ts: the CLI's `--when` lists them in `--help`, which
 * must not load gather() and the 40-odd modules behind it (bench/NOTES.md).
 */

/** When to gather: `on-failure` (default) only when the run failed; `never` turns it off (e.g. locally). */
export type GatherWhen = 'always' | 'on-failure' | 'never';
export const GATHER_WHEN: readonly GatherWhen[] = ['always', 'on-failure', 'never'];
