import { errorMessage, NoEngineError, UsageError, type EngineAttempt } from '../errors.js';
import { CliRuntime } from './cli.js';
import type { ContainerRuntime, RuntimeChoice, RuntimeInfo, RuntimeName } from './types.js';

export const RUNTIME_CHOICES: readonly RuntimeChoice[] = ['auto', 'podman', 'docker'];

/** How long one engine may take to answer `version`/`info` during detection. */
const PROBE_TIMEOUT_MS = 20_000;

export interface DetectOptions {
  readonly runtime?: RuntimeChoice;
  readonly env?: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal;
  /** Makes the adapter for a runtime name; tests inject fakes here. */
  readonly createRuntime?: (name: RuntimeName, env: NodeJS.ProcessEnv) => ContainerRuntime;
}

export interface DetectedRuntime {
  readonly runtime: ContainerRuntime;
  readonly info: RuntimeInfo;
  /** Why this engine was chosen, in words, e.g. `CONTAINER_HOST is set`. */
  readonly reason: string;
  readonly attempts: readonly EngineAttempt[];
}

interface Candidate {
  readonly name: RuntimeName;
  readonly reason: string;
}

/**
 * The ordered candidates for `--runtime auto`: what CONTAINER_HOST (podman's) or DOCKER_HOST points at
 * first, then podman, then docker. Each is confirmed by a real call before it is used.
 */
export function runtimeCandidates(choice: RuntimeChoice, env: NodeJS.ProcessEnv): Candidate[] {
  if (choice !== 'auto') return [{ name: choice, reason: '--runtime ' + choice }];
  const candidates: Candidate[] = [];
  if (env.CONTAINER_HOST) candidates.push({ name: 'podman', reason: 'CONTAINER_HOST is set' });
  if (env.DOCKER_HOST) candidates.push({ name: 'docker', reason: 'DOCKER_HOST is set' });
  candidates.push({ name: 'podman', reason: 'podman answered' }, { name: 'docker', reason: 'docker answered' });
  // Keep the first occurrence of each engine: it carries the strongest reason.
  return candidates.filter((c, i) => candidates.findIndex((o) => o.name === c.name) === i);
}

export function parseRuntimeChoice(value: string | undefined): RuntimeChoice {
  const choice = (value ?? 'auto').trim().toLowerCase();
  if ((RUNTIME_CHOICES as readonly string[]).includes(choice)) return choice as RuntimeChoice;
  throw new UsageError(`invalid runtime "${value}": expected one of ${RUNTIME_CHOICES.join(', ')}`);
}

/** Find the engine to use. Throws {@link NoEngineError} naming every engine tried. */
export async function detectRuntime(options: DetectOptions = {}): Promise<DetectedRuntime> {
  const env = options.env ?? process.env;
  const create = options.createRuntime ?? ((name, e) => new CliRuntime(name, { env: e }));
  const attempts: EngineAttempt[] = [];
  for (const candidate of runtimeCandidates(options.runtime ?? 'auto', env)) {
    if (options.signal?.aborted) break;
    const runtime = create(candidate.name, env);
    const probeSignal = AbortSignal.any([
      AbortSignal.timeout(PROBE_TIMEOUT_MS),
      ...(options.signal ? [options.signal] : []),
    ]);
    try {
      const info = await runtime.info(probeSignal);
      return { runtime, info, reason: candidate.reason, attempts };
    } catch (error) {
      attempts.push({ runtime: candidate.name, reason: probeFailure(error) });
    }
  }
  throw new NoEngineError(attempts);
}

function probeFailure(error: unknown): string {
  const message = errorMessage(error);
  if (/ENOENT/.test(message)) return 'command not found on PATH';
  return message.split('\n')[0] ?? message;
}
