import { describe, expect, it } from 'vitest';
import { collectSecretLiterals, redactInspect } from '../../../src/redact/inspect.js';
import { REDACTION_MARKER, parseRedactPattern } from '../../../src/redact/rules.js';

const R = REDACTION_MARKER;

describe('collectSecretLiterals', () => {
  it('collects values of secret-named Env entries of every container, each once, in order', () => {
    const docker = [{ Config: { Env: ['PATH=/usr/bin', 'DB_PASSWORD=one=two', 'API_TOKEN=tok-123', 'EMPTY_SECRET=', 'NOEQUALS', 42] } }];
    const podman = { Config: { Env: ['REDIS_PASSWORD=tok-123', 'PWD=/srv', 'OLDPWD=/', 'SHORT_KEY=ab', 'container=podman'] } };
    expect(collectSecretLiterals([docker, podman, null, 'text', { Env: 'not an array' }])).toEqual(['one=two', 'tok-123', 'ab']);
  });

  it('finds Env at any depth and under any case', () => {
    expect(collectSecretLiterals([{ a: { b: [{ env: ['X_SECRET=deep'] }] } }])).toEqual(['deep']);
  });
});

describe('redactInspect', () => {
  it('replaces secret-named env values, whatever their length, and keeps the names', () => {
    const raw = { Config: { Env: ['PATH=/bin', 'POSTGRES_PASSWORD=x', 'PWD=/srv', 'EMPTY_PASSWORD=', 'A_KEY=a=b=c', 'AUTH_METHOD=trust'] } };
    expect(redactInspect(raw)).toEqual({
      value: { Config: { Env: ['PATH=/bin', `POSTGRES_PASSWORD=${R}`, `PWD=${R}`, 'EMPTY_PASSWORD=', `A_KEY=${R}`, 'AUTH_METHOD=trust'] } },
      counts: { 'env-secret': 3 },
    });
  });

  it('applies the text rules, literals and --redact patterns to every string value', () => {
    const raw = [
      {
        Id: 'abc',
        Args: ['--password=hunter22', '--log-level', 'debug'],
        Config: {
          Env: ['REDIS_URL=redis://:p4ss@cache:6379', 'NOTE=saw Lit3ral-Secret'],
          Labels: { 'ci.token': 'Bearer abc.def-123456', plain: 'ok', session: 'sid=42' },
        },
        Count: 3,
        Running: true,
        Nothing: null,
      },
    ];
    const { value, counts } = redactInspect(raw, { literals: ['Lit3ral-Secret'], extraPatterns: [parseRedactPattern('^sid=\\d+$')] });
    expect(value).toEqual([
      {
        Id: 'abc',
        Args: [`--password=${R}`, '--log-level', 'debug'],
        Config: {
          Env: [`REDIS_URL=redis://:${R}@cache:6379`, `NOTE=saw ${R}`],
          Labels: { 'ci.token': `Bearer ${R}`, plain: 'ok', session: R },
        },
        Count: 3,
        Running: true,
        Nothing: null,
      },
    ]);
    expect(counts).toEqual({ 'password-pair': 1, 'url-userinfo': 1, 'env-literal': 1, 'auth-bearer': 1, custom: 1 });
  });

  it('leaves keys alone, even secret-looking ones, and keeps their order', () => {
    const raw = { 'password=abc123': 'value', b: 1, a: 2 };
    const { value } = redactInspect(raw);
    expect(Object.keys(value as object)).toEqual(['password=abc123', 'b', 'a']);
  });

  it('does not modify its input', () => {
    const raw = { Config: { Env: ['DB_PASSWORD=secret-value'], Cmd: ['--password=secret-value'] } };
    const copy = structuredClone(raw);
    redactInspect(raw);
    expect(raw).toEqual(copy);
  });

  it('keeps a "__proto__" key as a plain key', () => {
    const raw = JSON.parse('{"__proto__": {"polluted": "password=abc123"}, "x": 1}') as unknown;
    const { value } = redactInspect(raw);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(JSON.stringify(value)).toBe(`{"__proto__":{"polluted":"password=${R}"},"x":1}`);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('returns strings without secrets as they are, including lone surrogates', () => {
    const raw = { odd: 'a\ud800b', text: 'héllo' };
    expect(redactInspect(raw).value).toEqual(raw);
  });

  it('passes non-object values through', () => {
    expect(redactInspect(null).value).toBeNull();
    expect(redactInspect(7).value).toBe(7);
    expect(redactInspect('password=abc123')).toEqual({ value: `password=${R}`, counts: { 'password-pair': 1 } });
  });
});
