/** Defaults that the CLI's help shows: here, apart from the code that uses them, so `--help` loads little. */
export const DEFAULT_OUTPUT_DIR = '/tmp/kubernaut-must-gather';
export const DEFAULT_TIMEOUT_MS = 120_000;
export const DEFAULT_CONCURRENCY = 4;
