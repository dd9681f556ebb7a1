import { chalkStderr } from 'chalk';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../_util/errors.js';
import { ExitCode } from './exit-codes.js';
import { renderDigest } from '../render/digest.js';
import { renderSummaryMarkdown } from '../render/markdown.js';
import { NO_PAINT } from '../render/paint.js';
import { toFindingsJson } from '../triage/findings-json.js';
import { loadRun } from '../triage/verdict.js';
import { newProgram, paintFor, runProgram, type CliIo } from './shared.js';

interface ReportFlags {
  json?: boolean;
  markdown?: boolean;
}

/**
 * A saved run's folder; an archive is unpacked into a private temporary folder first (removed afterwards).
 * Only regular files and folders are unpacked: no links, nothing outside the temporary folder.
 */
async function openRun(path: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const info = await stat(path).catch(() => null);
  if (info === null) throw new UsageError(`no such folder or archive: ${path}`);
  if (info.isDirectory()) return { dir: path, cleanup: async () => {} };
  if (!/\.(tar\.gz|tgz)$/.test(path)) throw new UsageError(`${path} is neither a run folder nor a .tar.gz archive`);
  const into = await mkdtemp(join(tmpdir(), 'must-gather-report-'));
  const cleanup = () => rm(into, { recursive: true, force: true });
  try {
    const { extract } = await import('tar');
    await extract({ file: path, cwd: into, strict: true, filter: (_p, entry) => 'type' in entry && (entry.type === 'File' || entry.type === 'Directory') });
    const top = await readdir(into);
    const dir = top.length === 1 ? join(into, top[0] as string) : into;
    return { dir, cleanup };
  } catch (error) {
    await cleanup();
    throw new UsageError(`cannot read archive ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** `must-gather report <folder|archive>`: the verdict of a saved run (e.g. a downloaded CI artifact). */
export async function runReport(argv: readonly string[], io: CliIo): Promise<number> {
  const program = newProgram('must-gather report', io)
    .description('Re-render the summary of a saved run: a run folder, or its .tar.gz (e.g. a downloaded CI artifact).')
    .argument('<path>', 'run folder or <run folder>.tar.gz')
    .option('--json', 'print the findings as JSON (as in manifest.json)')
    .option('--markdown', 'print SUMMARY.md')
    .action(async (path: string, flags: ReportFlags) => {
      const run = await openRun(path);
      try {
        const report = await loadRun(run.dir);
        if (flags.json) io.stdout(JSON.stringify(toFindingsJson(report), null, 2) + '\n');
        else if (flags.markdown) io.stdout(renderSummaryMarkdown(report));
        else {
          // The digest goes to stdout here (it is what was asked for); colour follows stdout's terminal.
          const paint = io.color === false || chalkStderr.level === 0 ? NO_PAINT : paintFor(io);
          io.stdout(renderDigest(report, paint) + '\n');
        }
      } finally {
        await run.cleanup();
      }
    });
  return runProgram(program, argv, io, () => ExitCode.OK);
}
