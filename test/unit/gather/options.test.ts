import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/_util/errors.js';
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_OUTPUT_DIR,
  DEFAULT_TIMEOUT_MS,
  assertSafeToken,
  resolveOptions,
  type GatherOptions,
} from '../../../src/gather/options.js';

/** Options with an empty environment unless a test gives one: process.env never leaks in. */
function resolve(options: Partial<GatherOptions> & { service?: string }) {
  return resolveOptions({ env: {}, ...options } as GatherOptions);
}

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).code).toBe('USAGE');
    expect((error as UsageError).name).toBe('UsageError');
    return error as UsageError;
  }
  throw new Error('expected a UsageError, nothing was thrown');
}

describe('resolveOptions defaults', () => {
  it('fills in every default', () => {
    expect(resolve({ service: 'signalprocessing' })).toEqual({
      service: 'signalprocessing',
      components: [],
      aliases: [],
      containers: [],
      labels: [],
      runtime: 'auto',
      transport: 'auto',
      outputDir: DEFAULT_OUTPUT_DIR,
      outputDirSource: 'default',
      archive: false,
      engineInfo: false,
      concurrency: DEFAULT_CONCURRENCY,
      timeoutMs: DEFAULT_TIMEOUT_MS,
      containerTimeoutMs: null,
      logs: { since: undefined, until: undefined, tail: undefined, timestamps: false, direct: true },
      redact: true,
      redactPatterns: [],
      maxLogBytes: null,
    });
    expect(DEFAULT_OUTPUT_DIR).toBe('/tmp/kubernaut-must-gather');
    expect(DEFAULT_CONCURRENCY).toBe(4);
    expect(DEFAULT_TIMEOUT_MS).toBe(120_000);
  });

  it('takes the output folder and runtime from the given env', () => {
    const resolved = resolve({ service: 'sp', env: { MUST_GATHER_DIR: '/var/tmp/mg', MUST_GATHER_RUNTIME: 'docker' } });
    expect([resolved.outputDir, resolved.outputDirSource]).toEqual(['/var/tmp/mg', 'MUST_GATHER_DIR']);
    expect(resolved.runtime).toBe('docker');
  });

  it('prefers explicit options over the env', () => {
    const resolved = resolve({
      service: 'sp',
      outputDir: '/explicit',
      runtime: 'podman',
      env: { MUST_GATHER_DIR: '/var/tmp/mg', MUST_GATHER_RUNTIME: 'docker' },
    });
    expect([resolved.outputDir, resolved.outputDirSource]).toEqual(['/explicit', 'option']);
    expect(resolved.runtime).toBe('podman');
  });

  it('normalises the runtime from the env', () => {
    expect(resolve({ service: 'sp', env: { MUST_GATHER_RUNTIME: ' Podman ' } }).runtime).toBe('podman');
  });

  it('rejects an invalid runtime from the env', () => {
    const error = usageError(() => resolve({ service: 'sp', env: { MUST_GATHER_RUNTIME: 'containerd' } }));
    expect(error.message).toBe('invalid runtime "containerd": expected one of auto, podman, docker, all');
  });
});

describe('resolveOptions service names', () => {
  it.each(['../x', 'a/b', '', ' ', 'a b', '.hidden', '-x', '_x', 'a\0b', 'x'.repeat(129), 'é'])('rejects %j', (service) => {
    const error = usageError(() => resolve({ service }));
    expect(error.message).toContain(`invalid service name ${JSON.stringify(service)}`);
  });

  it('rejects a missing service', () => {
    usageError(() => resolveOptions({ env: {} } as unknown as GatherOptions));
  });

  it('rejects a non-object', () => {
    const error = usageError(() => resolveOptions(null as unknown as GatherOptions));
    expect(error.message).toBe('gather() needs an options object');
  });

  it.each(['signalprocessing', 'a', 'A9', 'mock-llm', 'sp_1.2', 'x'.repeat(128)])('accepts %j', (service) => {
    expect(resolve({ service }).service).toBe(service);
  });

  it('validates components and aliases the same way', () => {
    expect(usageError(() => resolve({ service: 'sp', components: ['ok', '../x'] })).message).toContain('invalid component "../x"');
    expect(usageError(() => resolve({ service: 'sp', aliases: ['a/b'] })).message).toContain('invalid alias "a/b"');
    expect(resolve({ service: 'sp', components: ['postgres', 'mock-llm'], aliases: ['signalprocessing'] })).toMatchObject({
      components: ['postgres', 'mock-llm'],
      aliases: ['signalprocessing'],
    });
  });

  it('assertSafeToken returns its value or throws naming what was checked', () => {
    expect(assertSafeToken('abc', 'thing')).toBe('abc');
    expect(usageError(() => assertSafeToken('a b', 'thing')).message).toBe(
      'invalid thing "a b": use letters, digits, ".", "_" and "-", starting with a letter or digit (at most 128)',
    );
  });
});

describe('resolveOptions values', () => {
  it.each(['bogus', 'Docker-ce', 'podman docker'])('rejects runtime %j', (runtime) => {
    usageError(() => resolve({ service: 'sp', runtime: runtime as GatherOptions['runtime'] }));
  });

  it.each(['auto', 'podman', 'docker'] as const)('accepts runtime %s', (runtime) => {
    expect(resolve({ service: 'sp', runtime }).runtime).toBe(runtime);
  });

  it.each([0, 65, 1.5, -1, Number.NaN, Number.POSITIVE_INFINITY])('rejects concurrency %s', (concurrency) => {
    const error = usageError(() => resolve({ service: 'sp', concurrency }));
    expect(error.message).toContain('expected a whole number from 1 to 64');
  });

  it.each([1, 4, 64])('accepts concurrency %s', (concurrency) => {
    expect(resolve({ service: 'sp', concurrency }).concurrency).toBe(concurrency);
  });

  it.each([0, -5, 0.5, 24 * 3600_000 + 1])('rejects timeoutMs %s', (timeoutMs) => {
    usageError(() => resolve({ service: 'sp', timeoutMs }));
  });

  it.each([1, 90_000, 24 * 3600_000])('accepts timeoutMs %s', (timeoutMs) => {
    expect(resolve({ service: 'sp', timeoutMs }).timeoutMs).toBe(timeoutMs);
  });

  it.each(['-1', 'abc', '1.5', '', ' 10', 'ALL'])('rejects tail %j', (tail) => {
    const error = usageError(() => resolve({ service: 'sp', tail }));
    expect(error.message).toBe(`invalid tail ${JSON.stringify(tail)}: expected a number of lines or "all"`);
  });

  it.each(['0', '100', 'all'])('accepts tail %j', (tail) => {
    expect(resolve({ service: 'sp', tail }).logs.tail).toBe(tail);
  });

  it.each(['--foo', '', '-10m', '10m;rm', '2026-01-02 03:04:05', '$(date)'])('rejects since %j', (since) => {
    expect(usageError(() => resolve({ service: 'sp', since })).message).toContain(`invalid since ${JSON.stringify(since)}`);
  });

  it.each(['--foo', 'a b'])('rejects until %j', (until) => {
    expect(usageError(() => resolve({ service: 'sp', until })).message).toContain(`invalid until ${JSON.stringify(until)}`);
  });

  it('reads engine log files directly unless MUST_GATHER_DIRECT_LOGS=0', () => {
    expect(resolve({ service: 'sp' }).logs.direct).toBe(true);
    expect(resolve({ service: 'sp', env: { MUST_GATHER_DIRECT_LOGS: '0' } }).logs.direct).toBe(false);
    expect(resolve({ service: 'sp', env: { MUST_GATHER_DIRECT_LOGS: '1' } }).logs.direct).toBe(true);
  });

  it('passes valid log options through', () => {
    expect(
      resolve({ service: 'sp', since: '2026-01-02T03:04:05+01:00', until: '10m', tail: '50', timestamps: true }).logs,
    ).toEqual({ since: '2026-01-02T03:04:05+01:00', until: '10m', tail: '50', timestamps: true, direct: true });
    expect(resolve({ service: 'sp', since: '1767323045', until: '2026-01-02T03:04:05Z' }).logs).toEqual({
      since: '1767323045',
      until: '2026-01-02T03:04:05Z',
      tail: undefined,
      timestamps: false,
      direct: true,
    });
  });

  it('validates container names', () => {
    expect(resolve({ service: 'sp', containers: ['mock-llm-hapi', '/gw_db_1', '4c8589bccde8'] }).containers).toEqual([
      'mock-llm-hapi',
      '/gw_db_1',
      '4c8589bccde8',
    ]);
    for (const bad of ['a/b', '../x', '', 'a b', '//x']) {
      expect(usageError(() => resolve({ service: 'sp', containers: [bad] })).message).toBe(`invalid container name ${JSON.stringify(bad)}`);
    }
  });

  it('validates labels', () => {
    expect(resolve({ service: 'sp', labels: ['com.docker.compose.project=gw', 'ci', 'k=', 'url=a=b'] }).labels).toEqual([
      'com.docker.compose.project=gw',
      'ci',
      'k=',
      'url=a=b',
    ]);
    for (const bad of ['=v', 'a,b', 'k=a,b', ' k=v', '']) {
      expect(usageError(() => resolve({ service: 'sp', labels: [bad] })).message).toBe(
        `invalid label (expected key=value or key) ${JSON.stringify(bad)}`,
      );
    }
  });

  it('rejects an output folder that is blank or holds a NUL byte', () => {
    for (const outputDir of ['', '   ', '/tmp/a\0b']) {
      expect(usageError(() => resolve({ service: 'sp', outputDir })).message).toBe(`invalid output directory ${JSON.stringify(outputDir)}`);
    }
  });

  it('asks for the engine info document only for engineInfo: true', () => {
    expect(resolve({ service: 'sp', engineInfo: true }).engineInfo).toBe(true);
    expect(resolve({ service: 'sp', engineInfo: 'yes' as unknown as boolean }).engineInfo).toBe(false);
  });

  it('sets archive only for true', () => {
    expect(resolve({ service: 'sp', archive: true }).archive).toBe(true);
    expect(resolve({ service: 'sp', archive: false }).archive).toBe(false);
    expect(resolve({ service: 'sp', archive: 'yes' as unknown as boolean }).archive).toBe(false);
  });
});

describe('empty environment variables mean the default', () => {
  it('MUST_GATHER_DIR="" and MUST_GATHER_RUNTIME="" fall back to the defaults', () => {
    const resolved = resolveOptions({ service: 'sp', env: { MUST_GATHER_DIR: '', MUST_GATHER_RUNTIME: '' } });
    expect([resolved.outputDir, resolved.outputDirSource, resolved.runtime]).toEqual(['/tmp/kubernaut-must-gather', 'default', 'auto']);
  });
});

describe('transport', () => {
  it('comes from the option, else MUST_GATHER_TRANSPORT, else auto; anything else is a usage error', () => {
    expect(resolveOptions({ service: 'sp', env: {} }).transport).toBe('auto');
    expect(resolveOptions({ service: 'sp', env: { MUST_GATHER_TRANSPORT: 'api' } }).transport).toBe('api');
    expect(resolveOptions({ service: 'sp', transport: 'cli', env: { MUST_GATHER_TRANSPORT: 'api' } }).transport).toBe('cli');
    expect(() => resolveOptions({ service: 'sp', env: { MUST_GATHER_TRANSPORT: 'grpc' } })).toThrow('invalid transport "grpc": expected one of auto, api, cli');
  });
});

describe('redaction and size options', () => {
  it('redacts by default; --no-redact turns it off; patterns compile; sizes parse', () => {
    const on = resolveOptions({ service: 'sp', env: {}, redactPatterns: ['tok_[a-z]+', '/SECRET-\\d+/i'], maxLogSize: '50MB' });
    expect([on.redact, on.redactPatterns.map(String), on.maxLogBytes]).toEqual([true, ['/tok_[a-z]+/', '/SECRET-\\d+/i'], 50_000_000]);
    expect(resolveOptions({ service: 'sp', env: {}, redact: false }).redact).toBe(false);
    expect(resolveOptions({ service: 'sp', env: {}, maxLogSize: 0 }).maxLogBytes).toBeNull();
    expect(() => resolveOptions({ service: 'sp', env: {}, maxLogSize: '10' })).toThrow('expected at least 1KB');
    expect(() => resolveOptions({ service: 'sp', env: {}, maxLogSize: 'lots' })).toThrow(UsageError);
    expect(() => resolveOptions({ service: 'sp', env: {}, redactPatterns: ['('] })).toThrow(UsageError);
    expect(resolveOptions({ service: 'sp', env: {}, containerTimeoutMs: 5000 }).containerTimeoutMs).toBe(5000);
    expect(() => resolveOptions({ service: 'sp', env: {}, containerTimeoutMs: 0 })).toThrow(UsageError);
  });
});
