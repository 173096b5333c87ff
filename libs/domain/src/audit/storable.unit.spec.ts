import {
  MAX_JSON_DEPTH,
  UnstorableValueError,
  indexableText,
  storableJson,
  storableText,
  storableTime,
} from './storable';

const NUL = String.fromCharCode(0);

describe('storableText', () => {
  it('replaces NUL and unpaired surrogates and keeps paired ones', () => {
    expect(storableText(`a${NUL}b`)).toBe('a\ufffdb');
    expect(storableText('x\ud800y')).toBe('x\ufffdy');
    expect(storableText('x\udc00y')).toBe('x\ufffdy');
    expect(storableText('rocket \ud83d\ude80 and é')).toBe('rocket \ud83d\ude80 and é');
  });
});

describe('indexableText', () => {
  it('cuts long text without splitting a surrogate pair', () => {
    expect(indexableText('abcdef', 4)).toBe('abcd');
    expect(indexableText('abc\ud83d\ude80', 4)).toBe('abc');
    expect(indexableText('ab', 4)).toBe('ab');
  });
});

describe('storableJson', () => {
  it('makes keys and strings storable at any depth', () => {
    expect(storableJson({ [`k${NUL}`]: [`v${NUL}`, { deep: '\ud800' }], n: 1.5 })).toEqual({
      'k\ufffd': ['v\ufffd', { deep: '\ufffd' }],
      n: 1.5,
    });
  });

  it('returns the value itself when nothing in it needs a change', () => {
    const clean = { a: [1, 'two', { b: null }], c: 'é \ud83d\ude80' };

    expect(storableJson(clean)).toBe(clean);
  });

  it('keeps a "__proto__" key as data', () => {
    const value = storableJson(JSON.parse('{"__proto__": {"polluted": true}, "a": 1}'));

    expect(Object.keys(value as object)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a value nested deeper than the limit', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < MAX_JSON_DEPTH + 1; i += 1) deep = [deep];

    expect(() => storableJson(deep)).toThrow(UnstorableValueError);
  });
});

describe('storableTime', () => {
  it('writes times as UTC with milliseconds', () => {
    expect(storableTime('2026-04-24T12:30:00+02:00')).toBe('2026-04-24T10:30:00.000Z');
    expect(storableTime('2026-04-24T10:30:00.1234567Z')).toBe('2026-04-24T10:30:00.123Z');
  });

  it('refuses text that is no time or a year Postgres would not give back the same', () => {
    expect(storableTime('yesterday')).toBeNull();
    expect(storableTime('+275760-09-13T00:00:00.000Z')).toBeNull();
    expect(storableTime('-000001-01-01T00:00:00.000Z')).toBeNull();
  });
});
