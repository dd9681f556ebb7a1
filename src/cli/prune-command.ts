import { ExitCode } from './exit-codes.js';
import { DEFAULT_OUTPUT_DIR, requestedOutputBase } from '../gather/options.js';
import { prune } from '../run-folder/prune.js';
import { chooseOutputBase } from '../run-folder/write.js';
import { sweepLockFiles } from '../test-run/lock.js';
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
    .description(
      'Remove old run folders and archives under the base folder: only entries named as must-gather names them (<service>-integration-<YYYYMMDD-HHMMSS>[-N][.tar.gz]), never through a symlink. ' +
        'Also removes what killed runs left: <run>.tar.gz.partial-<pid> and <run>.tar.gz.parts-<pid> whose process is gone (or whose run is older than --older-than), test-run lock results finished over an hour ago, and locks whose holder is dead.',
    )
    .requiredOption('--older-than <age>', 'remove runs that started longer ago than this: 30m, 12h, 7d, 2w')
    .option('--keep <n>', 'keep the newest N runs of each service whatever their age', parseCount)
    .option('--dry-run', 'say what would be removed; remove nothing')
    .option('-o, --output-dir <dir>', `base folder (default: env MUST_GATHER_DIR or ${DEFAULT_OUTPUT_DIR}, or ${DEFAULT_OUTPUT_DIR}-<uid> when that belongs to another user)`)
    .option('--json', 'print the result as JSON on stdout')
    .action(async (flags: PruneFlags) => {
      const requested = requestedOutputBase(flags.outputDir, io.env);
      // The base a run of this user writes to: the per-user one when the default belongs to someone else.
      const { dir: baseDir, fallback } = await chooseOutputBase(requested.dir, requested.source);
      const dryRun = flags.dryRun === true;
      const result = await prune({
        baseDir,
        olderThanMs: parseAge(flags.olderThan),
        ...(flags.keep !== undefined ? { keep: flags.keep } : {}),
        dryRun,
      });
      // prune() has checked the base (no symlink, a folder); the lock's leftovers go by the lock's own rule.
      const swept = await sweepLockFiles(baseDir, { dryRun });
      const removed = [...result.removed, ...swept.removed].sort();
      const skipped = [...result.skipped, ...swept.skipped].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      if (fallback !== null) io.stderr(`${paint.dim('must-gather:')} ${fallback}: pruning ${baseDir} instead\n`);
      if (flags.json) {
        io.stdout(JSON.stringify({ baseDir, ...(fallback !== null ? { fallback } : {}), dryRun, removed, kept: result.kept, skipped }, null, 2) + '\n');
        return;
      }
      const verb = flags.dryRun ? 'would remove' : 'removed';
      for (const path of removed) io.stdout(`${path}\n`);
      for (const s of skipped) io.stderr(`${paint.yellow('skipped')} ${s.path}: ${s.reason}\n`);
      io.stderr(`${paint.dim('must-gather:')} ${verb} ${removed.length}, kept ${result.kept.length} in ${baseDir}\n`);
    });
  return runProgram(program, argv, io, () => ExitCode.OK);
}
