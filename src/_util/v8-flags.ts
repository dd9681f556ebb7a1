/**
 * The V8 flags of must-gather's own processes (the CLI, the recording process the test-framework entry points
 * start): logs stream through them, and V8's defaults size the heap for throughput, not for a pipeline whose
 * data dies young. The library, in someone else's process, sets none: that is its host's decision.
 *
 * - `--semi-space-growth-factor=1`: the young generation stays at its starting 1–2 MB per semi-space instead
 *   of growing to 16 MB (node 20) or 64 MB (node 24): peak RSS on a 100 MB log ~100 MB → ~83 MB for ~0.5 s
 *   more CPU.
 * - `--heap-growing-percent=25`: the old generation grows by a quarter between full collections: node 22
 *   and 24 let it reach 109–117 MB on a 64 MiB log (node 20: 86 MB) with garbage a collection frees; with it,
 *   85 and 91 MB (node 20: 71 MB) for ~0.2 s more CPU (bench/NOTES.md).
 *
 * Both take effect when set at run time (`v8.setFlagsFromString`, before the work starts) and as `execArgv`.
 */
export const STREAMING_V8_FLAGS: readonly string[] = ['--semi-space-growth-factor=1', '--heap-growing-percent=25'];
