/** Process exit codes of the `must-gather` CLI. Documented in README.md and `--help`. */
export const ExitCode = {
  /** Collected, even partially (a container that failed is recorded in manifest.json). */
  OK: 0,
  /** Unexpected internal failure (a bug). */
  INTERNAL: 1,
  /** Usage error: bad service name or option value. Nothing was written. */
  USAGE: 2,
  /** No usable container engine (podman or docker) answered. */
  NO_ENGINE: 3,
  /** The engine answered but no container matched. Nothing was written. */
  NO_MATCH: 4,
  /**
   * The output folder is unsafe (symlink, someone else's), the manifest could not be written, or what the
   * command prints could not be (stdout to a file on a full disk).
   */
  OUTPUT: 5,
  /**
   * Everything else went well, but the reader of stdout (or stderr) went away before all was written
   * (`must-gather --help | head -1`): 128 + SIGPIPE, as git and the shell report it. Nothing is printed.
   */
  BROKEN_PIPE: 141,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
