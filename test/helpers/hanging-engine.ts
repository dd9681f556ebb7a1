import { spawnSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RuntimeName } from '../../src/runtime/types.js';
import { tempDir } from './engines.js';

const HANGING_ENGINE = fileURLToPath(new URL('../fixtures/hanging-engine/engine.sh', import.meta.url));

/** A PATH on which `name`'s CLI answers through the real engine but hangs in `logs` (used with --transport cli). */
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
