import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RuntimeName } from '../../src/runtime/types.js';
import { tempDir } from './engines.js';

const HANGING_ENGINE = fileURLToPath(new URL('../fixtures/hanging-engine/engine.sh', import.meta.url));

/**
 * A PATH on which `name`'s CLI answers through the real engine but hangs in `logs` (used with --transport cli,
 * and MUST_GATHER_DIRECT_LOGS=0: else the logs are read from the engine's files, never asking `logs`).
 */
export function hangingPath(name: RuntimeName): string {
  const dir = tempDir('must-gather-fake-engine-');
  symlinkSync(HANGING_ENGINE, join(dir, name));
  return `${dir}:${process.env.PATH ?? ''}`;
}

/** The real engine CLI's path, for the fault injector to pass everything but `logs` to. */
export function realEngine(name: RuntimeName): string {
  return spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
}

/** `sleep <seconds>` processes still running: a hung `logs` child that was not killed. */
export function sleepersLeft(seconds: number): string {
  return spawnSync('pgrep', ['-af', `sleep ${seconds}`], { encoding: 'utf8' }).stdout.trim();
}

/** How the scripted engine answers one command: what it prints, then how it ends. */
export interface ScriptedAnswer {
  readonly stdout?: string | Buffer;
  readonly stderr?: string | Buffer;
  /** Exit status; 0 when left out. */
  readonly exit?: number;
  /** Instead of exiting, become `sleep <hang>` (find it with {@link sleepersLeft}). */
  readonly hang?: number;
}

export interface ScriptedEngine {
  /** The whole environment to run the engine CLI with: the fixture first on PATH, in scripted mode. */
  readonly env: NodeJS.ProcessEnv;
  /** Script how the engine answers `command` (its first argument) from now on. */
  answer(command: string, answer: ScriptedAnswer): void;
  /** The arguments `command` was last run with, or null when it was not run. */
  argsOf(command: string): string[] | null;
  remove(): void;
}

/** `name`'s CLI as the fixture in scripted mode: it answers as told, no engine needed. */
export function scriptedEngine(name: RuntimeName): ScriptedEngine {
  const dir = tempDir('must-gather-scripted-engine-');
  const bin = join(dir, 'bin');
  const answers = join(dir, 'answers');
  for (const d of [bin, answers]) mkdirSync(d);
  symlinkSync(HANGING_ENGINE, join(bin, name));
  const file = (command: string, part: string) => join(answers, `${command}.${part}`);
  return {
    env: { PATH: `${bin}:${process.env.PATH ?? ''}`, MG_FAKE_DIR: answers },
    answer(command, answer) {
      for (const part of ['stdout', 'stderr', 'exit', 'hang'] as const) {
        const value = answer[part];
        if (value === undefined) rmSync(file(command, part), { force: true });
        else writeFileSync(file(command, part), typeof value === 'number' ? String(value) : value);
      }
    },
    argsOf(command) {
      try {
        return readFileSync(file(command, 'args'), 'utf8').split('\0').slice(0, -1);
      } catch {
        return null;
      }
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
