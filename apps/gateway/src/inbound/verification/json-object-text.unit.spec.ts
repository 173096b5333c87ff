import { isUtf8 } from 'node:buffer';
import { isJsonObjectText } from './json-object-text';
import { seededRandom } from './test-fixtures.spec';

/** What the check must agree with: `JSON.parse` of the text (a leading mark dropped) is an object. */
function parsesToObject(bytes: Buffer): boolean {
  let text = bytes.toString('utf8');
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

function check(text: string | Buffer): boolean {
  return isJsonObjectText(typeof text === 'string' ? Buffer.from(text) : text);
}

const SAMPLE = JSON.stringify({
  action: 'closed',
  number: 42,
  pull_request: {
    title: 'Fix KER-42: "quoted" \\ back\tslash / and \u2028 ünïcode 修正 🚀',
    merged: true,
    draft: false,
    milestone: null,
    additions: -1.5e-3,
    labels: [],
    assignees: [{}, [], [[1, 2.0, 3e10, 0, -0]], 'x'],
    body: '\u0000\u001f control characters, escaped',
  },
  empty: {},
});

describe('isJsonObjectText', () => {
  it('accepts objects of every kind of value', () => {
    expect(check(SAMPLE)).toBe(true);
    expect(check('{}')).toBe(true);
    expect(check(' \t\r\n{ "a" : [ ] , "b":{"c":"\\u00e9\\uD83D\\ude80\\/"} } \n')).toBe(true);
    expect(check(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')]))).toBe(
      true,
    );
  });

  it('refuses what JSON.parse refuses, and JSON that is not an object', () => {
    const refused = [
      '',
      ' ',
      '[]',
      '"text"',
      '42',
      'null',
      '{',
      '}',
      '{"a"}',
      '{"a":}',
      '{"a":1,}',
      '{,"a":1}',
      '{"a":1 "b":2}',
      '{"a":[1,]}',
      '{"a":[,1]}',
      '{a:1}',
      "{'a':1}",
      '{"a":01}',
      '{"a":1.}',
      '{"a":.5}',
      '{"a":1e}',
      '{"a":+1}',
      '{"a":-}',
      '{"a":0x10}',
      '{"a":NaN}',
      '{"a":tru}',
      '{"a":nulls}',
      '{"a":"\\x41"}',
      '{"a":"\\u12G4"}',
      '{"a":"\\u12"}',
      '{"a":"line\nbreak"}',
      '{"a":"tab\there"}',
      '{"a":"open}',
      '{"a":1}{}',
      '{"a":1} x',
      '{"a":1}\u00a0',
      '{"a":1} // comment',
      '{"a"\u00a0:1}',
    ];
    for (const text of refused) {
      expect([text, check(text)]).toEqual([text, false]);
      expect([text, parsesToObject(Buffer.from(text))]).toEqual([text, false]);
    }
  });

  it('survives nesting far deeper than a call stack', () => {
    const depth = 1_000_000;
    const deep = `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    expect(check(deep)).toBe(true);
    expect(check(deep.slice(0, -2) + '}')).toBe(false);
  });

  // Differential: the same answer as JSON.parse for many texts near the valid ones (each
  // seeded, so that a failing case can be rerun from its number).
  it('agrees with JSON.parse on mutations of a real payload', () => {
    const random = seededRandom(20261204);
    const source = Buffer.from(SAMPLE);
    const alphabet = Buffer.from('{}[]:,"\\/ \t\n\r-+.0123456789eEtrufalsn\u00e9x');
    let disagreements: string[] = [];
    for (let n = 0; n < 20_000; n += 1) {
      const bytes = Buffer.from(source);
      const edits = 1 + Math.floor(random() * 3);
      let mutated: Buffer = bytes;
      for (let edit = 0; edit < edits; edit += 1) {
        const at = Math.floor(random() * mutated.length);
        const byte = alphabet[Math.floor(random() * alphabet.length)] as number;
        const kind = random();
        if (kind < 0.4) mutated[at] = byte;
        else if (kind < 0.7)
          mutated = Buffer.concat([mutated.subarray(0, at), mutated.subarray(at + 1)]);
        else {
          mutated = Buffer.concat([
            mutated.subarray(0, at),
            Buffer.from([byte]),
            mutated.subarray(at),
          ]);
        }
      }
      // The check is only ever asked about valid UTF-8 (the gateway refuses the rest first).
      if (!isUtf8(mutated)) continue;
      if (check(mutated) !== parsesToObject(mutated)) {
        disagreements.push(`case ${n}: ${mutated.toString('utf8')}`);
      }
    }
    disagreements = disagreements.slice(0, 5);
    expect(disagreements).toEqual([]);
  });

  it('agrees with JSON.parse on short random texts', () => {
    const random = seededRandom(7);
    const alphabet = [...'{}[]:," \\/tfnrue0123-+.eE\u00e9u'];
    let accepted = 0;
    for (let n = 0; n < 50_000; n += 1) {
      const length = 2 + Math.floor(random() * 12);
      let text = '{';
      for (let i = 0; i < length; i += 1) text += alphabet[Math.floor(random() * alphabet.length)];
      const bytes = Buffer.from(text);
      const expected = parsesToObject(bytes);
      if (expected) accepted += 1;
      expect([n, text, check(bytes)]).toEqual([n, text, expected]);
    }
    // Some random texts must be objects, or the comparison proves little.
    expect(accepted).toBeGreaterThan(0);
  });
});
