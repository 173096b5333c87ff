import { MAX_SCANNED_CHARS, extractTicketRefs, parseTicketKey } from './ticket-refs';

const known = new Set(['KER', 'OPS']);

describe('extractTicketRefs', () => {
  it('reports each occurrence with its normalised key, parts, intent and offset', () => {
    expect(extractTicketRefs('Fixes ker-42; see OPS-7 and KER-42', known)).toEqual([
      { key: 'KER-42', project: 'KER', number: 42, intent: 'close', index: 6 },
      { key: 'OPS-7', project: 'OPS', number: 7, intent: 'reference', index: 18 },
      { key: 'KER-42', project: 'KER', number: 42, intent: 'reference', index: 28 },
    ]);
  });

  it('reads skip and ignore as skip, and plain names as mentions', () => {
    const intents = extractTicketRefs('skip KER-1. Ignore KER-2. KER-3.', known).map(
      (r) => r.intent,
    );
    expect(intents).toEqual(['skip', 'skip', 'mention']);
  });

  it('finds nothing when no project is known', () => {
    expect(extractTicketRefs('Fixes KER-1', new Set())).toEqual([]);
  });

  it('keeps offsets of the original text when an HTML comment comes first', () => {
    const text = '<!-- Fixes KER-1 -->KER-2';
    expect(extractTicketRefs(text, known)).toEqual([
      { key: 'KER-2', project: 'KER', number: 2, intent: 'mention', index: 20 },
    ]);
  });

  it('treats a letter outside the Basic Multilingual Plane as glue', () => {
    expect(extractTicketRefs('\u{1D400}KER-1 KER-2\u{1D400}', known)).toEqual([]);
  });

  it('reads only the first MAX_SCANNED_CHARS characters', () => {
    const text = `${' '.repeat(MAX_SCANNED_CHARS - 6)}KER-1 KER-2`;
    expect(extractTicketRefs(text, known).map((r) => r.key)).toEqual(['KER-1']);
    expect(extractTicketRefs(`KER-3${text}`, known).map((r) => r.key)).toEqual(['KER-3']);
  });

  it('does not read half a key cut at the limit as a shorter key', () => {
    const text = `${' '.repeat(MAX_SCANNED_CHARS - 5)}KER-12`;
    expect(extractTicketRefs(text, known)).toEqual([]);
  });
});

describe('parseTicketKey', () => {
  it.each([
    ['ker-42', 'KER-42'],
    [' OPS-7 ', 'OPS-7'],
    ['KER-007', null],
    ['DOCS-1', null],
    ['KER-1 KER-2', null],
    ['', null],
  ])('parses %p as %p', (text, expected) => {
    expect(parseTicketKey(text, known)).toBe(expected);
  });
});
