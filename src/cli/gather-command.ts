import { Option, type Command } from 'commander';
import { DEFAULT_CONCURRENCY, DEFAULT_OUTPUT_DIR, DEFAULT_TIMEOUT_MS } from '../gather/defaults.js';
import { ExitCode } from './exit-codes.js';
import { GATHER_WHEN } from '../test-run/when.js';
import { RUNTIME_CHOICES, TRANSPORT_CHOICES } from '../runtime/types.js';
import { TOOL } from '../_util/version.js';
import type { CliFlags } from './gather-action.js';
import { collectRepeatable, newProgram, parseCount, parseDuration, runProgram, type CliIo } from './shared.js';

const EXIT_CODES_HELP = `
Exit codes:
  0  collected (even partially: failures are recorded in manifest.json)
  1  internal error (a bug: please report it)
  2  usage error (bad service name or option); nothing written
  3  no usable container engine (podman or docker)
  4  no container matched; nothing written (the existing names are listed)
  5  output folder unsafe (a symlink, someone else's) or manifest.json unwritable
  130/143  interrupted by SIGINT/SIGTERM; what was collected is kept
  141  would have been 0, but stdout's reader went away (\`| head -1\`); nothing printed, nothing cut short

Environment:
  MUST_GATHER_RUNTIME    default for --runtime
  MUST_GATHER_TRANSPORT  default for --transport
  MUST_GATHER_DIR        default for --output-dir
  CONTAINER_HOST, DOCKER_HOST, DOCKER_CONTEXT  where to look first for an engine

Other commands:
  must-gather doctor     which engines answer where, and which would be used
  must-gather prune      remove old run folders and archives (--older-than 7d, --keep N, --dry-run)
  must-gather report <folder|archive>   the verdict of a saved run (--json, --markdown)
  (a service named like a command: must-gather gather <service>)

Examples:
  must-gather signalprocessing
  must-gather signalprocessing postgres redis
  must-gather signalprocessing --archive --json
  must-gather gateway --container mock-llm-hapi --label com.docker.compose.project=gw`;

function buildProgram(io: CliIo, run: (service: string, components: string[], flags: CliFlags) => Promise<void>): Command {
  return newProgram('must-gather', io)
    .description("Save the logs and inspect JSON of a service's test containers (running and exited) before teardown removes them.")
    .version(TOOL.version, '-V, --version')
    .argument('<service>', 'service under test: containers named <service>_… or <service>-… are collected')
    .argument('[components...]', 'only containers whose name holds any one of these as a _/- separated word (postgres redis: the postgres and the redis ones)')
    .option('-a, --alias <prefix>', 'another name prefix for the same service, e.g. sp (repeatable)', collectRepeatable)
    .option('-c, --container <name>', 'also collect this exact container name or ID (repeatable)', collectRepeatable)
    .option('-l, --label <key=value>', 'also collect containers with this label, e.g. a compose project (repeatable)', collectRepeatable)
    // Defaults come from the environment in gather() (MUST_GATHER_RUNTIME, MUST_GATHER_DIR), not from commander,
    // which would read process.env instead of the env this run was given.
    .addOption(new Option('-r, --runtime <runtime>', "container engine; auto: ask every engine that answers, collect from those with the service's containers; all: every engine that answers (default: auto)").choices(RUNTIME_CHOICES))
    .addOption(new Option('--transport <transport>', 'Engine API socket or CLI; auto: the API when a socket answers (default: auto)').choices(TRANSPORT_CHOICES))
    .option('-o, --output-dir <dir>', `base folder for run folders (default: ${DEFAULT_OUTPUT_DIR}, or ${DEFAULT_OUTPUT_DIR}-<uid> when that belongs to another user)`)
    .option('--archive', 'also write <run folder>.tar.gz beside the folder')
    .option('--engine-info', "also record the engine's full info document in runtime.json (podman takes ~0.2 s to make it)")
    .option('--json', 'print the result as one JSON document on stdout (nothing else)')
    .option('--since <time>', 'logs since a timestamp (RFC 3339 or Unix) or for a duration (e.g. 10m)')
    .option('--until <time>', 'logs until a timestamp or duration ago')
    .option('--tail <lines>', 'only the last <lines> of each log ("all" for everything)')
    .option('-t, --timestamps', 'prefix each log line with the engine timestamp')
    .option('--no-redact', 'keep secrets as they are (default: redact passwords, tokens, keys, secret env values)')
    .option('--redact <regex>', 'also redact what this regular expression matches (repeatable; /src/flags accepted)', collectRepeatable)
    .option('--max-log-size <size>', 'keep at most this much of each log, head and tail, e.g. 50MB (default: all)')
    .option('--concurrency <n>', 'containers collected at once', parseCount, DEFAULT_CONCURRENCY)
    .option('--timeout <duration>', `bound on the whole run: seconds, or 90s, 2m… (default: ${DEFAULT_TIMEOUT_MS / 1000})`, parseDuration)
    .option('--container-timeout <duration>', 'bound on each container’s inspect and log (default: only --timeout)', parseDuration)
    .addOption(new Option('--when <when>', 'always, on-failure (needs --exit-code or MUST_GATHER_TEST_EXIT_CODE) or never (default: env MUST_GATHER_WHEN or always)').choices(GATHER_WHEN))
    .option('--if-failed', 'gather only if the tests failed: same as --when on-failure')
    .option('--exit-code <n>', "the test command's exit status ($?); implies --when on-failure")
    .option('--run-key <key>', 'callers sharing this key (and service) gather once; the others get the same result (default: env MUST_GATHER_RUN_KEY or the CI job)')
    .option('-q, --quiet', 'no progress on stderr')
    .option('--verbose', 'show stack traces of unexpected errors')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (service: string, components: string[], flags: CliFlags) => run(service, components, flags));
}

/** `must-gather [gather] <service> [components...]`: collect a service's containers. */
export async function runGather(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode: number = ExitCode.OK;
  const run = async (service: string, components: string[], flags: CliFlags): Promise<void> => {
    const { gatherFromCli } = await import('./gather-action.js');
    exitCode = await gatherFromCli(service, components, flags, io);
  };
  return runProgram(buildProgram(io, run), argv, io, () => exitCode);
}
