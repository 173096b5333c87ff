import { classifyContentType } from './content-type';

describe('classifyContentType', () => {
  it.each([
    ['application/json', 'json', 'application/json'],
    ['application/json; charset=utf-8', 'json', 'application/json'],
    ['Application/JSON; Charset=UTF-8', 'json', 'application/json'],
    ['application/json;charset="utf-8"', 'json', 'application/json'],
    ['application/json ; charset=utf8', 'json', 'application/json'],
    ['application/json; charset=us-ascii', 'json', 'application/json'],
    ['application/json; version=2', 'json', 'application/json'],
    ['application/json;', 'json', 'application/json'],
    ['application/x-www-form-urlencoded', 'form', 'application/x-www-form-urlencoded'],
    [
      'application/x-www-form-urlencoded; charset=UTF-8',
      'form',
      'application/x-www-form-urlencoded',
    ],
  ])('accepts %p as %s', (header, kind, mediaType) => {
    expect(classifyContentType(header)).toEqual({ ok: true, kind, media_type: mediaType });
  });

  it.each([
    [undefined, 'unsupported_content_type'],
    ['', 'unsupported_content_type'],
    ['   ', 'unsupported_content_type'],
    ['; charset=utf-8', 'unsupported_content_type'],
    ['text/plain', 'unsupported_content_type'],
    ['text/json', 'unsupported_content_type'],
    ['application/jsonp', 'unsupported_content_type'],
    ['application/vnd.github+json', 'unsupported_content_type'],
    ['multipart/form-data; boundary=x', 'unsupported_content_type'],
    ['application/json, text/plain', 'unsupported_content_type'],
    ['application/json; charset=utf-16', 'unsupported_charset'],
    ['application/json; charset=UTF-16LE', 'unsupported_charset'],
    ['application/json; charset=iso-8859-1', 'unsupported_charset'],
    ['application/json; charset=', 'unsupported_charset'],
    ['application/json; charset=utf-8; charset=utf-16', 'unsupported_charset'],
  ])('answers 415 to %p', (header, reason) => {
    expect(classifyContentType(header)).toMatchObject({ ok: false, status: 415, reason });
  });

  it('names a plain media type it refuses, to help the sender', () => {
    expect(classifyContentType('text/plain')).toMatchObject({
      detail: 'Content-Type text/plain is not supported; send application/json',
    });
  });

  it('does not echo a refused media type that is not a plain type/subtype', () => {
    const header = '<script>alert(1)</script>/x';
    const answer = classifyContentType(header);

    expect(answer.ok).toBe(false);
    expect(JSON.stringify(answer)).not.toContain('script');
  });
});
