import type { ContainerRecord } from '../run-folder/manifest.js';
import { NO_PAINT, type Paint } from '../render/paint.js';
import type { GatherResult } from '../gather/gather.js';
import { formatBytes } from '../_util/units.js';


function stateText(c: ContainerRecord): string {
  if (c.oomKilled) return `${c.state} (OOM-killed, exit ${c.exitCode ?? '?'})`;
  if (c.state === 'exited' && c.exitCode !== null) return `exited (${c.exitCode})`;
  return c.state || 'unknown';
}

function logBytes(c: ContainerRecord): number | null {
  const log = c.files.find((f) => f.kind === 'log');
  return log ? log.bytes : null;
}

/** One line per container: a mark, its name, state and exit code, log size and any collection error. */
export function formatContainerLine(c: ContainerRecord, width: number, paint: Paint = NO_PAINT): string {
  const failedRun = c.state === 'exited' && c.exitCode !== 0;
  const mark = c.error !== null ? paint.red('✗') : failedRun || c.oomKilled ? paint.yellow('!') : paint.green('✓');
  const bytes = logBytes(c);
  const size = bytes === null ? '-' : formatBytes(bytes);
  const plainState = stateText(c).padEnd(14);
  const state = failedRun || c.oomKilled ? paint.yellow(plainState) : plainState;
  const error = c.error === null ? '' : `  ${paint.red(c.error)}`;
  return `  ${mark} ${c.name.padEnd(width)}  ${state}  ${paint.dim(size)}${error}`;
}

/** The end-of-run report for a person at a terminal (stderr). */
export function formatRunReport(result: GatherResult, paint: Paint = NO_PAINT, options: { containers?: boolean } = {}): string {
  const lines: string[] = [];
  const width = Math.max(...result.containers.map((c) => c.name.length), 4);
  // One line per container, unless the triage digest printed just before already lists them.
  if (options.containers !== false) for (const c of result.containers) lines.push(formatContainerLine(c, width, paint));
  const failed = result.containers.filter((c) => c.error !== null).length;
  const exited = result.containers.filter((c) => c.state === 'exited' && c.exitCode !== 0).length;
  const counts = [
    `${result.containers.length} container${result.containers.length === 1 ? '' : 's'}`,
    exited > 0 ? paint.yellow(`${exited} exited non-zero`) : null,
    failed > 0 ? paint.red(`${failed} not fully collected`) : null,
  ].filter((s) => s !== null);
  if (lines.length > 0) lines.push('');
  lines.push(`${paint.bold('saved')} ${counts.join(', ')} to ${result.outputDir}`);
  if (result.archivePath) lines.push(`${paint.bold('archive')} ${result.archivePath}`);
  if (result.archiveError) lines.push(paint.red(`archive failed: ${result.archiveError}`));
  if (result.interruption) lines.push(paint.red(`incomplete: ${result.interruption}; manifest.json says what is missing`));
  if (result.missing.length > 0) lines.push(paint.yellow(`no container named: ${result.missing.join(', ')}`));
  return lines.join('\n');
}

function nameList(names: readonly string[], shown: number): string {
  const list = names.slice(0, shown).map((n) => `  ${n}`);
  if (names.length > shown) list.push(`  … and ${names.length - shown} more`);
  return list.join('\n');
}

/** Said when nothing matched: the names that do exist in each engine asked, so a typo shows. */
export function formatNoMatch(result: GatherResult, shown = 50): string {
  const asked = result.engines.length > 1 ? result.engines.map((e) => e.runtime.name).join(' or ') : result.runtime.name;
  const head = `no container of "${result.service}" found in ${asked} (looked for <service>_… and <service>-…, running and exited).`;
  if (result.engines.length > 1) {
    const each = result.engines.map(({ runtime, available }) =>
      available.length === 0
        ? `${runtime.name} (${runtime.endpoint}) has no containers at all.`
        : `${runtime.name} (${runtime.endpoint}) has:\n${nameList(available, shown)}`,
    );
    return [head, ...each].join('\n');
  }
  const names = result.available;
  if (names.length === 0) return `${head}\n${result.runtime.name} has no containers at all.`;
  return `${head}\nContainers that exist:\n${nameList(names, shown)}`;
}
