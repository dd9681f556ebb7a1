import { describe, expect, it } from 'vitest';
import { ApiStatusError, queryString } from '../../../src/runtime/http.js';

describe('queryString', () => {
  it('encodes filters as JSON, booleans as true/false, and leaves out undefined values', () => {
    expect(queryString({ all: true, filters: { label: ['a=b', 'c'] }, since: '1700000000', until: undefined })).toBe(
      '?all=true&filters=%7B%22label%22%3A%5B%22a%3Db%22%2C%22c%22%5D%7D&since=1700000000',
    );
    expect(decodeURIComponent(queryString({ filters: { label: ['x=y'] } }))).toBe('?filters={"label":["x=y"]}');
    expect(queryString({})).toBe('');
  });
});

describe('ApiStatusError', () => {
  it('carries the status and the engine message from a JSON body, or the text of any other body', () => {
    const json = new ApiStatusError(404, '{"message":"No such container: abc"}');
    expect([json.statusCode, json.json?.message, json.message]).toEqual([404, 'No such container: abc', '(HTTP 404) No such container: abc']);
    const text = new ApiStatusError(500, 'boom\n');
    expect([text.statusCode, text.json, text.message]).toEqual([500, null, '(HTTP 500) boom']);
  });
});
