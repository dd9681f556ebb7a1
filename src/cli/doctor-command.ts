import { Option } from 'commander';
import { errorMessage } from '../_util/errors.js';
import { ExitCode } from './exit-codes.js';
import { engineChoices } from '../gather/options.js';
import { detectRuntimes, probeAll, RUNTIME_CHOICES, TRANSPORT_CHOICES, type Detection, type Probe } from '../runtime/detect.js';
import type { RuntimeChoice, TransportChoice } from '../runtime/types.js';
import { newProgram, paintFor, runProgram, type CliIo } from './shared.js';

interface DoctorFlags {
  runtime?: RuntimeChoice;
  transport?: TransportChoice;
  json?: boolean;
}

/** `must-gather doctor`: every place an engine may answer, what answered, and what would be chosen. */
export async function runDoctor(argv: readonly string[], io: CliIo): Promise<number> {
  const paint = paintFor(io);
  let exitCode: number = ExitCode.OK;
  const program = newProgram('must-gather doctor', io)
    .description('Show where container engines were looked for, which answered, and which must-gather would use.')
    .addOption(new Option('-r, --runtime <runtime>', 'as for gathering (default: env MUST_GATHER_RUNTIME or auto)').choices(RUNTIME_CHOICES))
    .addOption(new Option('--transport <transport>', 'as for gathering (default: env MUST_GATHER_TRANSPORT or auto)').choices(TRANSPORT_CHOICES))
    .option('--json', 'print the findings as JSON on stdout')
    .action(async (flags: DoctorFlags) => {
      const { runtime, transport } = engineChoices(flags, io.env);
      const probes = await probeAll({ env: io.env, transport });
      let detection: Detection | null = null;
      let problem: string | null = null;
      try {
        detection = await detectRuntimes({ env: io.env, runtime, transport });
      } catch (error) {
        problem = errorMessage(error);
      }
      const chosen = (detection?.chosen ?? []).map((c) => ({ name: c.info.name, transport: c.info.transport, version: c.info.version, endpoint: c.info.endpoint, reason: c.reason }));
      if (flags.json) {
        io.stdout(JSON.stringify({ runtime, transport, probes, chosen, unanswered: detection?.unanswered ?? [], problem }, null, 2) + '\n');
      } else {
        io.stdout(formatProbes(probes, (s) => paint.green(s), (s) => paint.red(s)));
        // auto asks every engine that answers and collects from those that have the service's containers.
        const verb = runtime === 'auto' && chosen.length > 1 ? 'would ask' : 'would use';
        for (const c of chosen) io.stdout(`\n${paint.bold(verb)} ${c.name} ${c.version} over ${c.transport} at ${c.endpoint} (${c.reason})\n`);
        if (runtime === 'auto' && chosen.length > 1) io.stdout('and collect from the engines that have the service\'s containers\n');
        for (const place of detection?.unanswered ?? []) io.stdout(`${paint.yellow('warning:')} ${place}\n`);
        if (problem) io.stdout(`\n${paint.red('no engine usable')} for --runtime ${runtime} --transport ${transport}\n`);
      }
      exitCode = chosen.length > 0 ? ExitCode.OK : ExitCode.NO_ENGINE;
    });
  return runProgram(program, argv, io, () => exitCode);
}

export function formatProbes(probes: readonly Probe[], ok = (s: string) => s, bad = (s: string) => s): string {
  const width = Math.max(...probes.map((p) => p.place.length), 10);
  return probes
    .map((p) => {
      const outcome = p.answered ? ok(`${p.answered.name} ${p.answered.version}`) : bad(p.problem ?? 'no answer');
      return `${p.transport.padEnd(3)}  ${p.place.padEnd(width)}  ${outcome}\n`;
    })
    .join('');
}
