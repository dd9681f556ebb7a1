/**
 * The redaction corpus: secrets planted in containers' env, in a log (binary bytes around them) and in
 * inspect JSON. Expected files were marked by hand (fixtures/make-fixtures.py), not produced by the
 * redactor. Nothing planted may survive; everything else must be byte-identical, however the log is cut.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collectSecretLiterals, redactInspect } from '../../../src/redact/inspect.js';
import { BUILTIN_REACH, compileRedaction, parseRedactPattern } from '../../../src/redact/rules.js';
import { RedactionEngine, redactBuffer } from '../../../src/redact/stream.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const fixture = (name: string): Buffer => readFileSync(join(FIXTURES, name));
const json = (name: string): unknown => JSON.parse(fixture(name).toString('utf8'));

const LOG = fixture('corpus.log');
const EXPECTED = fixture('corpus.redacted.log');
const INSPECTS = { docker: json('docker-inspect.json'), podman: json('podman-inspect.json') };
const LITERALS = collectSecretLiterals([INSPECTS.docker, INSPECTS.podman]);
const OPTIONS = { literals: LITERALS, extraPatterns: [parseRedactPattern('session=(?<secret>[0-9a-f]{16})')] };
const COMPILED = compileRedaction(OPTIONS);

/** Every secret planted in the fixtures; none may be found in any output. */
const PLANTED = [
  'Pg-Pass-2026!', 'tökén-🔑-9f8e7d', 'r3d1s-long-pass', 'pa"ss\\word', 'pa\\"ss\\\\word', 'hunter2-xyz', 's3cr3t-pwd', 'q1w2e3r4',
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhcHAifQ.c2lnbmF0dXJl', 'YWxhZGRpbjpvcGVuc2VzYW1l',
  'TJVA95OrM7E2cBab30RMHrHDcEfxjoYZgeFONFh7HgQ', 'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  'MIIEowIBAAKCAQEAs1m2xampleKeyBytesOnlyForTests', 'ExampleSecondLineOfBase64', 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=',
  '0123456789abcdef', 'abc123def', 'pw12345',
];

function survivors(output: Buffer | string): string[] {
  const bytes = typeof output === 'string' ? Buffer.from(output, 'utf8') : output;
  return PLANTED.filter((secret) => bytes.includes(Buffer.from(secret, 'utf8')));
}

/** Every string in a JSON value (keys too), one per line, unescaped. */
function allStrings(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return '';
  return Object.entries(value)
    .map(([key, item]) => `${key}\n${allStrings(item)}`)
    .join('\n');
}

function streamed(input: Buffer, cuts: readonly number[], engine: RedactionEngine): Buffer {
  const out: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, input.length]) {
    out.push(engine.write(input.subarray(from, cut)));
    from = cut;
  }
  out.push(engine.end());
  return Buffer.concat(out);
}

describe('redaction corpus', () => {
  it('plants every secret in the inputs and none in the expected outputs', () => {
    expect(survivors(Buffer.concat([LOG, Buffer.from(allStrings(INSPECTS))]))).toEqual(PLANTED);
    expect(survivors(EXPECTED)).toEqual([]);
    for (const engine of ['docker', 'podman']) expect(survivors(allStrings(json(`${engine}-inspect.redacted.json`)))).toEqual([]);
    // Binary bytes sit right next to secrets.
    expect(LOG.includes(Buffer.from([0x00, 0xff, 0xfe]))).toBe(true);
    expect(LOG.includes(Buffer.from([0xc3, 0x28]))).toBe(true);
  });

  it('takes the literals from the secret-named env of every container, PWD excepted', () => {
    expect(LITERALS).toEqual([
      'Pg-Pass-2026!',
      'postgres://app:Pg-Pass-2026!@db:5432/app',
      'tökén-🔑-9f8e7d',
      'abc',
      'r3d1s-long-pass',
      'pa"ss\\word',
    ]);
  });

  it('redacts the log to the expected file, byte for byte, with counts per rule', () => {
    const { output, counts } = redactBuffer(LOG, OPTIONS);
    expect(output.toString('latin1')).toBe(EXPECTED.toString('latin1'));
    expect(output.equals(EXPECTED)).toBe(true);
    expect(survivors(output)).toEqual([]);
    expect(counts).toEqual({
      'env-literal': 8,
      'url-userinfo': 3,
      'password-pair': 5,
      'auth-bearer': 1,
      'auth-basic': 1,
      jwt: 2,
      'aws-access-key': 1,
      'aws-secret-key': 1,
      'pem-private-key': 1,
      custom: 1,
    });
  });

  it('gives the same bytes when the log is cut in two at every possible offset', () => {
    for (let cut = 0; cut <= LOG.length; cut++) {
      const output = streamed(LOG, [cut], new RedactionEngine(COMPILED));
      if (!output.equals(EXPECTED)) expect.fail(`cut at ${cut}: ${JSON.stringify(output.toString('latin1'))}`);
    }
  });

  it('gives the same bytes when a decision window ends at every offset of the corpus', () => {
    // With batchBytes 1, writing the first `cut` bytes decides everything before `cut - reach`; bland text
    // after the corpus lets that point fall on every byte of it.
    const pad = Buffer.from('2026-11-22T02:07:00Z INFO corpus follows\n', 'latin1');
    const trail = Buffer.from('2026-11-22T02:07:09Z INFO bland line ok\n'.repeat(Math.ceil((BUILTIN_REACH + 200) / 40)), 'latin1');
    const input = Buffer.concat([pad, LOG, trail]);
    const expected = Buffer.concat([pad, EXPECTED, trail]);
    const reach = COMPILED.text.reach;
    expect(reach).toBe(BUILTIN_REACH);
    for (let end = pad.length - 1; end <= pad.length + LOG.length + 1; end++) {
      const output = streamed(input, [end + reach], new RedactionEngine(COMPILED, { batchBytes: 1 }));
      if (!output.equals(expected)) expect.fail(`window ending at ${end}: ${JSON.stringify(output.toString('latin1'))}`);
    }
  });

  it('gives the same bytes for any chunking, including 1-byte chunks (fast-check)', () => {
    expect(streamed(LOG, Array.from({ length: LOG.length }, (_, i) => i), new RedactionEngine(COMPILED)).equals(EXPECTED)).toBe(true);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: LOG.length }), { maxLength: 30 }), (cuts) => {
        const output = streamed(LOG, cuts.sort((a, b) => a - b), new RedactionEngine(COMPILED, { batchBytes: 1 }));
        expect(output.toString('latin1')).toBe(EXPECTED.toString('latin1'));
      }),
      { numRuns: 200 },
    );
  });

  it.each(['docker', 'podman'] as const)('redacts the %s inspect JSON to the expected file, with counts per rule', (engine) => {
    const { value, counts } = redactInspect(INSPECTS[engine], COMPILED);
    const written = `${JSON.stringify(value, null, 2)}\n`;
    expect(written).toBe(fixture(`${engine}-inspect.redacted.json`).toString('utf8'));
    expect(survivors(allStrings(value))).toEqual([]);
    expect(counts).toEqual(
      engine === 'docker'
        ? { 'env-secret': 5, 'password-pair': 2, 'url-userinfo': 1 }
        : { 'env-secret': 2, 'env-literal': 6, 'password-pair': 2 },
    );
  });
});
