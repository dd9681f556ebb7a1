import { ExitCode } from './exit-codes.js';
import { DEFAULT_OUTPUT_DIR, outputBase } from '../gather/options.js';
import { prune } from '../run-folder/prune.js';
import { parseAge } from '../_util/units.js';
import { newProgram, paintFor, parseCount, runProgram, type CliIo } from './shared.js';

interface PruneFlags {
  olderThan: string;
  keep?: number;
  dryRun?: boolean;
  outputDir?: string;
  json?: boolean;
}

/** `must-gather prune --older-than 7d [--keep N] [--dry-run]`: remove old run folders and archives. */
export async function runPrune(argv: readonly string[], io: CliIo): Promise<number> {
  const paint = paintFor(io);
  const program = newProgram('must-gather prune', io)
    .description("Remove old run folders and archives under the base folder: only entries named as must-gather names them (<service>-integration-<YYYYMMDD-HHMMSS>[-N][.tar.gz]), never through a symlink.")
    .requiredOption('--older-than <age>', 'remove runs that started longer ago than this: 30m, 12h, 7d, 2w')
    .option('--keep <n>', 'keep the newest N runs of each service whatever their age', parseCount)
    .option('--dry-run', 'say what would be removed; remove nothing')
    .option('-o, --output-dir <dir>', `base folder (default: env MUST_GATHER_DIR or ${DEFAULT_OUTPUT_DIR})`)
    .option('--json', 'print the result as JSON on stdout')
    .action(async (flags: PruneFlags) => {
      const baseDir = outputBase(flags.outputDir, io.env);
      const result = await prune({
        baseDir,
        olderThanMs: parseAge(flags.olderThan),
        ...(flags.keep !== undefined ? { keep: flags.keep } : {}),
        dryRun: flags.dryRun === true,
      });
      if (flags.json) {
        io.stdout(JSON.stringify({ baseDir, dryRun: flags.dryRun === true, ...result }, null, 2) + '\n');
        return;
      }
      const verb = flags.dryRun ? 'would remove' : 'removed';
      for (const path of result.removed) io.stdout(`${path}\n`);
      for (const s of result.skipped) io.stderr(`${paint.yellow('skipped')} ${s.path}: ${s.reason}\n`);
      io.stderr(`${paint.dim('must-gather:')} ${verb} ${result.removed.length}, kept ${result.kept.length} in ${baseDir}\n`);
    });
  return runProgram(program, argv, io, () => ExitCode.OK);
}
