import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gather, NoEngineError } from '../../../src/index.js';
import { EngineCancelledError, type ContainerRuntime } from '../../../src/runtime/types.js';

/** An engine that answers `info` at once and never finishes listing until the call is aborted. */
function slowLister(): ContainerRuntime {
  const never = (signal?: AbortSignal) =>
    new Promise<never>((_, reject) => {
      signal?.addEventListener('abort', () => reject(new EngineCancelledError('list was cancelled')), { once: true });
    });
  return {
    name: 'podman',
    transport: 'api',
    info: async () => ({ name: 'podman', transport: 'api', version: '4.3.1', endpoint: 'fake://' }),
    describe: async () => ({ versionInfo: {}, info: {} }),
    list: (options) => never(options?.signal),
    inspect: () => never(),
    logs: () => {
      throw new Error('not listed, not collected');
    },
    events: () => {
      throw new Error('not listed, not collected');
    },
  };
}

describe('gather() when --timeout fires while containers are being listed', () => {
  const parent = mkdtempSync(join(tmpdir(), 'must-gather-timeout-'));
  afterAll(() => rmSync(parent, { recursive: true, force: true }));

  it('says the listing ran out of time (not that it failed), and writes nothing', async () => {
    const outputDir = join(parent, 'out');
    const error: unknown = await gather({ service: 'svc', outputDir, timeoutMs: 50, containerRuntime: slowLister() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoEngineError);
    expect((error as NoEngineError).attempts).toEqual([{ runtime: 'podman', reason: 'answered, but listing containers did not finish within 0.05 s (--timeout)' }]);
    expect(existsSync(outputDir)).toBe(false);
  });

  it('still reports the engine’s own message when an interruption, not the timeout, stopped the listing', async () => {
    const controller = new AbortController();
    const run = gather({ service: 'svc', outputDir: join(parent, 'out2'), timeoutMs: 60_000, signal: controller.signal, containerRuntime: slowLister() });
    setTimeout(() => controller.abort(new Error('SIGINT')), 20);
    const error = (await run.catch((e: unknown) => e)) as NoEngineError;
    expect(error.attempts).toEqual([{ runtime: 'podman', reason: 'answered, but listing containers failed: list was cancelled' }]);
  });
});
