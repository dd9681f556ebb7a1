import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/_util/errors.js';
import {
  BUILTIN_REACH,
  MIN_LITERAL_LENGTH,
  REDACTION_MARKER,
  isLiteralSourceName,
  isSecretEnvName,
  parseRedactPattern,
  usableLiterals,
  type RedactOptions,
} from '../../../src/redact/rules.js';
import { redactBuffer } from '../../../src/redact/stream.js';

const R = REDACTION_MARKER;

function redact(text: string, options: RedactOptions = {}): { text: string; counts: Record<string, number> } {
  const { output, counts } = redactBuffer(Buffer.from(text, 'utf8'), options);
  return { text: output.toString('utf8'), counts };
}

describe('REDACTION_MARKER', () => {
  it('is the fixed, greppable ***REDACTED***', () => {
    expect(REDACTION_MARKER).toBe('***REDACTED***');
  });
});

describe('isSecretEnvName', () => {
  it.each([
    'PASSWORD', 'POSTGRES_PASSWORD', 'MYSQL_ROOT_PASSWORD', 'PGPASSWORD', 'db_password', 'dbPassword',
    'PASSWD', 'SMTP_PASS', 'DB_PWD', 'PWD', 'SSH_PASSPHRASE',
    'SECRET', 'CLIENT_SECRET', 'NEXTAUTH_SECRET', 'APP_SECRETS', 'TOKEN', 'GITHUB_TOKEN', 'GITHUBTOKEN', 'ACCESS_TOKENS',
    'KEY', 'API_KEY', 'apiKey', 'OPENAIAPIKEY', 'AWS_SECRET_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'SECRETKEY', 'SSH_PRIVATEKEY',
    'CREDENTIAL', 'GOOGLE_APPLICATION_CREDENTIALS_JSON', 'DB_CREDS', 'REDIS_AUTH', 'BASIC_AUTH', 'AUTHORIZATION',
    'SENTRY_DSN', 'DSN', 'DATABASE_URL', 'APP_DATABASE_URL', 'DB_URL', 'CONNECTION_STRING', 'my-api-key', 'app.secret',
  ])('%s is secret', (name) => {
    expect(isSecretEnvName(name)).toBe(true);
  });

  it.each([
    'PATH', 'HOME', 'HOSTNAME', 'TERM', 'container', 'POSTGRES_USER', 'PGDATA', 'GOSU_VERSION', 'LANG',
    // short words count as whole words only
    'KEYBOARD', 'MONKEY', 'KEYCLOAK_URL', 'AUTHOR', 'OAUTH_ENABLED', 'BYPASS', 'PASSENGER_COUNT', 'OLDPWD',
    'TOKENIZERS_PARALLELISM', 'SECRETARY', 'DSNX',
    // a last word that describes a secret rather than holding it
    'POSTGRES_PASSWORD_FILE', 'SSL_KEY_PATH', 'SECRETS_DIR', 'SSH_AUTH_SOCK', 'POSTGRES_HOST_AUTH_METHOD', 'AUTH_TYPE',
    'TOKEN_URL', 'REDIS_URL', '', '___',
  ])('%j is not secret', (name) => {
    expect(isSecretEnvName(name)).toBe(false);
  });

  it('takes literals from every secret name except the shell working directory PWD', () => {
    expect(isLiteralSourceName('DB_PWD')).toBe(true);
    expect(isLiteralSourceName('POSTGRES_PASSWORD')).toBe(true);
    expect(isLiteralSourceName('PWD')).toBe(false);
    expect(isLiteralSourceName('OLDPWD')).toBe(false);
    expect(isLiteralSourceName('PATH')).toBe(false);
  });
});

describe('usableLiterals', () => {
  it(`drops values shorter than ${MIN_LITERAL_LENGTH} characters and boolean-like words`, () => {
    expect(MIN_LITERAL_LENGTH).toBe(4);
    expect(usableLiterals(['a', 'ab', 'abc', 'true', 'FALSE', 'Yes', 'null', 'disabled', 'abcd'])).toEqual(['abcd']);
  });

  it('counts characters, not bytes', () => {
    expect(usableLiterals(['ééé'])).toEqual([]);
    expect(usableLiterals(['🔑🔑🔑🔑'])).toContain('🔑🔑🔑🔑');
  });

  it('adds the JSON-escaped and percent-encoded forms, longest first, each once', () => {
    expect(usableLiterals(['pa"ss\\word', 'pa"ss\\word', 'p@ss word'])).toEqual([
      'pa%22ss%5Cword',
      'p%40ss%20word',
      'pa\\"ss\\\\word',
      'pa"ss\\word',
      'p@ss word',
    ]);
  });
});

describe('built-in rules', () => {
  it.each<[string, string, string, Record<string, number>]>([
    ['url-userinfo', 'db at postgres://app:hunter22@db:5432/app ok', `db at postgres://app:${R}@db:5432/app ok`, { 'url-userinfo': 1 }],
    ['url-userinfo with @ in the password', 'redis://:p@ss@cache:6379', `redis://:${R}@cache:6379`, { 'url-userinfo': 1 }],
    ['password=', 'login password=s3cret&next=1', `login password=${R}&next=1`, { 'password-pair': 1 }],
    ['PGPASSWORD=', 'env PGPASSWORD=abc123 psql', `env PGPASSWORD=${R} psql`, { 'password-pair': 1 }],
    ['pwd: in ODBC', 'Server=db;Uid=sa;Pwd=Tr1cky;Encrypt=1', `Server=db;Uid=sa;Pwd=${R};Encrypt=1`, { 'password-pair': 1 }],
    ['JSON "password"', '{"password": "a\\"b\\\\c", "user": "x"}', `{"password": "${R}", "user": "x"}`, { 'password-pair': 1 }],
    ['single-quoted', "passwd='two words'", `passwd='${R}'`, { 'password-pair': 1 }],
    ['passphrase:', 'passphrase: correct-horse', `passphrase: ${R}`, { 'password-pair': 1 }],
    ['Authorization: Bearer', 'Authorization: Bearer abcdef', `Authorization: Bearer ${R}`, { 'auth-bearer': 1 }],
    ['Go header map', 'map[Authorization:[Bearer tok]]', `map[Authorization:[Bearer ${R}]]`, { 'auth-bearer': 1 }],
    ['bare Bearer with a digit', 'sent bearer abc.def-123 ok', `sent bearer ${R} ok`, { 'auth-bearer': 1 }],
    ['Authorization: Basic', 'Proxy-Authorization: Basic Zm9v', `Proxy-Authorization: Basic ${R}`, { 'auth-basic': 1 }],
    ['bare Basic user:password', 'auth Basic dXNlcjpwYXNz', `auth Basic ${R}`, { 'auth-basic': 1 }],
    [
      'JWT',
      'id_token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc_DEF-123 end',
      `id_token ${R} end`,
      { jwt: 1 },
    ],
    ['AWS access key id', 'key=AKIAIOSFODNN7EXAMPLE,', `key=${R},`, { 'aws-access-key': 1 }],
    [
      'AWS secret access key',
      'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      `aws_secret_access_key = ${R}`,
      { 'aws-secret-key': 1 },
    ],
  ])('%s', (_name, input, output, counts) => {
    expect(redact(input)).toEqual({ text: output, counts });
  });

  it.each([
    'bearer authentication required',
    'the Bearer token was missing',
    'basic auth enabled',
    'Basic authentication',
    'password_hash=xyz',
    'passwordless=true',
    'OLDPWD=/tmp',
    'password: ',
    'http://localhost:8080/path@v2',
    'user@example.com and ssh://git@github.com/x',
    'they keyed the money',
    'eyJhbGciOiJIUzI1NiJ9 alone',
    'AKIAIOSFODNN7EXAMPLEX and XAKIAIOSFODNN7EXAMPLE',
    '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
    'error: expected "-----BEGIN PRIVATE KEY-----" here',
  ])('leaves %j alone', (input) => {
    expect(redact(input)).toEqual({ text: input, counts: {} });
  });

  describe('pem-private-key', () => {
    it('replaces the body and keeps the header, footer and line breaks', () => {
      const key = '-----BEGIN RSA PRIVATE KEY-----\r\nProc-Type: 4,ENCRYPTED\r\nMIIEowIB\r\nAAKCAQ==\r\n-----END RSA PRIVATE KEY-----\r\n';
      expect(redact(`before\r\n${key}after`)).toEqual({
        text: `before\r\n-----BEGIN RSA PRIVATE KEY-----\r\n${R}\r\n-----END RSA PRIVATE KEY-----\r\nafter`,
        counts: { 'pem-private-key': 1 },
      });
    });

    it('handles a key inside a JSON string, with \\n escapes', () => {
      const input = '{"key":"-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEE\\nabc==\\n-----END EC PRIVATE KEY-----\\n"}';
      expect(redact(input).text).toBe(`{"key":"-----BEGIN EC PRIVATE KEY-----\\n${R}\\n-----END EC PRIVATE KEY-----\\n"}`);
    });

    it('replaces the base64 lines of a key cut off before its footer, not the prose after it', () => {
      const input = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXkt\nAAAABG5vbmU=\nStarting server on port 80\n';
      expect(redact(input)).toEqual({
        text: `-----BEGIN OPENSSH PRIVATE KEY-----\n${R}\nStarting server on port 80\n`,
        counts: { 'pem-private-key': 1 },
      });
    });

    it('knows PGP private key blocks', () => {
      expect(redact('-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBF\n-----END PGP PRIVATE KEY BLOCK-----').text).toBe(
        `-----BEGIN PGP PRIVATE KEY BLOCK-----\n${R}\n-----END PGP PRIVATE KEY BLOCK-----`,
      );
    });
  });

  describe('env-literal', () => {
    it('replaces every occurrence of a literal, inside words too', () => {
      expect(redact('x=Sup3rS3cret; echo Sup3rS3cretSup3rS3cret', { literals: ['Sup3rS3cret'] })).toEqual({
        text: `x=${R}; echo ${R}`,
        counts: { 'env-literal': 3 },
      });
    });

    it('matches UTF-8 literals byte for byte', () => {
      expect(redact('token tökén-🔑 ok', { literals: ['tökén-🔑'] }).text).toBe(`token ${R} ok`);
    });

    it('ignores literals that are too short', () => {
      expect(redact('a abc b', { literals: ['abc', 'a'] })).toEqual({ text: 'a abc b', counts: {} });
    });

    it('catches the JSON-escaped and percent-encoded forms', () => {
      const literals = ['pa"ss\\word'];
      expect(redact('{"msg":"bad pa\\"ss\\\\word"} url=x://u:pa%22ss%5Cword@h', { literals }).text).toBe(`{"msg":"bad ${R}"} url=x://u:${R}@h`);
    });
  });

  it('redacts everything any rule finds: a literal covers the rest of a value another rule stopped short', () => {
    // password-pair stops at the `"`; the literal pa"ss covers the whole password.
    expect(redact('DB_PWD=pa"ss-word', { literals: ['pa"ss-word'] })).toEqual({
      text: `DB_PWD=${R}`,
      counts: { 'password-pair': 1, 'env-literal': 1 },
    });
  });

  it('merges adjacent and overlapping secrets into one marker and counts each rule', () => {
    expect(redact('Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln')).toEqual({
      text: `Authorization: Bearer ${R}`,
      counts: { 'auth-bearer': 1, jwt: 1 },
    });
    expect(redact('aaaabbbb', { literals: ['aaaa', 'bbbb'] })).toEqual({ text: R, counts: { 'env-literal': 2 } });
  });

  it('keeps invalid UTF-8 and NUL bytes around a secret byte for byte', () => {
    const input = Buffer.concat([Buffer.from([0xff, 0x00, 0xc3, 0x28]), Buffer.from(' password=abc123'), Buffer.from([0x00, 0xfe, 0x80])]);
    const { output } = redactBuffer(input);
    expect(output).toEqual(Buffer.concat([Buffer.from([0xff, 0x00, 0xc3, 0x28]), Buffer.from(` password=${R}`), Buffer.from([0x00, 0xfe, 0x80])]));
  });

  it('has a reach that bounds what the streaming redactor holds back', () => {
    expect(BUILTIN_REACH).toBeGreaterThan(32 * 1024);
    expect(BUILTIN_REACH).toBeLessThan(64 * 1024);
  });
});

describe('custom patterns', () => {
  it('replaces the whole match, or only the named group secret', () => {
    const extraPatterns = [parseRedactPattern('internal-[0-9]+'), parseRedactPattern('session=(?<secret>[0-9a-f]{8})')];
    expect(redact('id internal-42 session=deadbeef!', { extraPatterns })).toEqual({
      text: `id ${R} session=${R}!`,
      counts: { custom: 2 },
    });
  });

  it('matches one line at a time: ^ and $ are line bounds (CRLF too), nothing spans a newline', () => {
    const extraPatterns = [parseRedactPattern('^secret: .*$'), parseRedactPattern('a\\nb')];
    expect(redact('x\nsecret: 1 2\nsecret: 3\r\na\nb', { extraPatterns }).text).toBe(`x\n${R}\n${R}\r\na\nb`);
  });

  it('honours /…/i', () => {
    expect(redact('Cookie: SID=1; sid=2', { extraPatterns: [parseRedactPattern('/sid=\\d/i')] }).text).toBe(`Cookie: ${R}; ${R}`);
  });
});

describe('parseRedactPattern', () => {
  it('compiles a source or /source/flags', () => {
    expect(parseRedactPattern('a+b')).toEqual(/a+b/);
    expect(parseRedactPattern('/a+b/is')).toEqual(/a+b/is);
    // Only i, m and s make /…/ a flagged pattern; anything else is a plain source.
    expect(parseRedactPattern('/usr/bin').source).toBe('\\/usr\\/bin');
    expect(parseRedactPattern('/usr/bin').test('/usr/bin')).toBe(true);
    expect(parseRedactPattern('/x/g').test('a /x/g b')).toBe(true);
  });

  it.each<[string, string]>([
    ['', 'invalid --redact "": the pattern is empty'],
    ['(', 'invalid --redact "(": Invalid regular expression: /(/: Unterminated group'],
    ['x*', 'invalid --redact "x*": it matches the empty string'],
    ['pässword', 'invalid --redact "pässword": patterns are matched against raw bytes; use ASCII (e.g. \\xC3\\xA9 for é)'],
  ])('rejects %j', (value, message) => {
    let caught: unknown;
    try {
      parseRedactPattern(value);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as Error).message).toBe(message);
  });
});
