import { runDoctor } from './doctor.js';
import { runGather } from './gather.js';
import { runPrune } from './prune.js';
import { runReport } from './report.js';
import { resolveIo, type CliIo } from './shared.js';

type Command = (argv: readonly string[], io: CliIo) => Promise<number>;

/** Commands besides gathering. A service with one of these names: `must-gather gather <name>`. */
const COMMANDS: Readonly<Record<string, Command>> = {
  gather: runGather,
  doctor: runDoctor,
  prune: runPrune,
  report: runReport,
};

/** Run the CLI with `argv` (without `node` and the script). Returns the exit code; never exits itself. */
export async function runCli(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const full = resolveIo(io);
  const [first, ...rest] = argv;
  const command = first !== undefined ? COMMANDS[first] : undefined;
  return command ? command(rest, full) : runGather(argv, full);
}

export type { CliIo } from './shared.js';
