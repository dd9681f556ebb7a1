import { ExitCode } from './exit-codes.js';
import { errorMessage } from '../_util/errors.js';
import { outputClosed, outputFailure, resolveIo, type CliIo } from './shared.js';

type Command = (argv: readonly string[], io: CliIo) => Promise<number>;

/**
 * Commands besides gathering, each loaded when it runs (`--help` should not pay for the rest). A service
 * with one of these names: `must-gather gather <name>`.
 */
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  gather: async () => (await import('./gather-command.js')).runGather,
  doctor: async () => (await import('./doctor-command.js')).runDoctor,
  prune: async () => (await import('./prune-command.js')).runPrune,
  report: async () => (await import('./report-command.js')).runReport,
  record: async () => (await import('./record-command.js')).runRecord,
};

/**
 * Run the CLI with `argv` (without `node` and the script). Returns the exit code; never exits itself.
 * Writing to the process's own stdout/stderr (no `io.stdout`/`io.stderr` given), a reader that went away
 * (`| head`) is no error: the command completes, and what would have been 0 is {@link ExitCode.BROKEN_PIPE}.
 * Another write failure (a full disk) lets it complete too, and then says so: {@link ExitCode.OUTPUT}.
 */
export async function runCli(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const full = resolveIo(io);
  const [first, ...rest] = argv;
  const load = first !== undefined && Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
  const command = await (load ?? COMMANDS.gather!)();
  const code = await command(load ? rest : argv, full);
  // What the command printed did not all get written (a full disk behind `> file`): its files are kept, the output is not whole.
  const failure = outputFailure(io);
  if (failure !== null && (code === ExitCode.OK || code === ExitCode.BROKEN_PIPE)) {
    full.stderr(`must-gather: could not write to ${failure.stream}: ${errorMessage(failure.error)}\n`);
    return ExitCode.OUTPUT;
  }
  return code === ExitCode.OK && outputClosed(io) ? ExitCode.BROKEN_PIPE : code;
}

export type { CliIo } from './shared.js';
