/**
 * Whether `bytes` (already known to be valid UTF-8) hold one JSON object, by the same grammar
 * as `JSON.parse` (RFC 8259): the answer is true exactly when `JSON.parse` of the decoded text
 * would return a plain object. Nothing is built: GitHub and GitLab deliveries are named by
 * their headers, so their bodies only have to be checked, and a parse would allocate every
 * value of a payload of several kilobytes for the garbage collector to sweep again.
 *
 * A leading byte order mark is skipped, as TextDecoder drops it. Nesting is tracked in an
 * array of its own rather than by recursion, so that no depth exhausts the call stack; it
 * holds one entry per open bracket, at most one per byte of a body within the size limit.
 */
export function isJsonObjectText(bytes: Uint8Array): boolean {
  const end = bytes.length;
  let at = hasByteOrderMark(bytes) ? 3 : 0;
  at = skipSpace(bytes, at);
  if (bytes[at] !== OPEN_BRACE) return false;

  // The containers open around the current position: true for an object, false for an array.
  const open: boolean[] = [];
  // What may come next: a value, or (inside an object) a member name or its closing brace.
  let expect: Expect = Expect.FirstMember;
  open.push(true);
  at += 1;

  while (open.length > 0) {
    at = skipSpace(bytes, at);
    if (at >= end) return false;
    const byte = bytes[at] as number;

    if (expect === Expect.FirstMember || expect === Expect.Member) {
      if (byte === CLOSE_BRACE && expect === Expect.FirstMember) {
        at += 1;
        open.pop();
        expect = Expect.AfterValue;
        continue;
      }
      if (byte !== QUOTE) return false;
      at = skipString(bytes, at);
      if (at < 0) return false;
      at = skipSpace(bytes, at);
      if (bytes[at] !== COLON) return false;
      at += 1;
      expect = Expect.Value;
      continue;
    }

    if (expect === Expect.AfterValue) {
      const inObject = open[open.length - 1] as boolean;
      if (byte === COMMA) {
        at += 1;
        expect = inObject ? Expect.Member : Expect.Value;
      } else if (byte === (inObject ? CLOSE_BRACE : CLOSE_BRACKET)) {
        at += 1;
        open.pop();
      } else {
        return false;
      }
      continue;
    }

    // A value (Expect.Value, or Expect.FirstValue right after an opening bracket).
    if (byte === CLOSE_BRACKET && expect === Expect.FirstValue) {
      at += 1;
      open.pop();
      expect = Expect.AfterValue;
      continue;
    }
    if (byte === OPEN_BRACE) {
      open.push(true);
      at += 1;
      expect = Expect.FirstMember;
      continue;
    }
    if (byte === OPEN_BRACKET) {
      open.push(false);
      at += 1;
      expect = Expect.FirstValue;
      continue;
    }
    at = byte === QUOTE ? skipString(bytes, at) : skipScalar(bytes, at);
    if (at < 0) return false;
    expect = Expect.AfterValue;
  }
  return skipSpace(bytes, at) === end;
}

const enum Expect {
  /** After `{`: a member name or `}`. */
  FirstMember,
  /** After a comma in an object: a member name. */
  Member,
  /** After `[`: a value or `]`. */
  FirstValue,
  /** After `:` or a comma in an array: a value. */
  Value,
  /** After a value: a comma or the closing bracket of the container. */
  AfterValue,
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

function hasByteOrderMark(bytes: Uint8Array): boolean {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

/** Past JSON's four whitespace characters (space, tab, line feed, carriage return). */
function skipSpace(bytes: Uint8Array, from: number): number {
  let at = from;
  for (;;) {
    const byte = bytes[at];
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return at;
    at += 1;
  }
}

/**
 * Past the string that starts at `from` (its opening quote); -1 when it is not one. Bytes of
 * multi-byte characters are all 0x80 or above and pass as they are: the body is valid UTF-8.
 */
function skipString(bytes: Uint8Array, from: number): number {
  const end = bytes.length;
  let at = from + 1;
  while (at < end) {
    // Plain characters, the bulk of a payload, in a tight loop of one table look-up each.
    while (at < end && STRING_STOP[bytes[at] as number] === 0) at += 1;
    const byte = bytes[at];
    if (byte === QUOTE) return at + 1;
    if (byte !== BACKSLASH) return -1; // a control character, or the end of the body
    const escaped = bytes[at + 1];
    if (escaped === 0x75 /* u */) {
      for (let digit = 2; digit < 6; digit += 1) {
        if (!isHexDigit(bytes[at + digit])) return -1;
      }
      at += 6;
    } else if (escaped !== undefined && SIMPLE_ESCAPES.has(escaped)) {
      at += 2;
    } else {
      return -1;
    }
  }
  return -1;
}

/** 1 for the bytes that end a run of plain string characters: `"`, `\` and controls. */
const STRING_STOP = new Uint8Array(256);
for (let byte = 0; byte < 0x20; byte += 1) STRING_STOP[byte] = 1;
STRING_STOP[0x22] = 1;
STRING_STOP[0x5c] = 1;

/** `"`, `\`, `/`, b, f, n, r, t. */
const SIMPLE_ESCAPES = new Set([0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74]);

function isHexDigit(byte: number | undefined): boolean {
  if (byte === undefined) return false;
  return (
    (byte >= ZERO && byte <= NINE) ||
    (byte >= 0x41 && byte <= 0x46) ||
    (byte >= 0x61 && byte <= 0x66)
  );
}

/** Past `true`, `false`, `null` or a number starting at `from`; -1 when none starts there. */
function skipScalar(bytes: Uint8Array, from: number): number {
  const byte = bytes[from];
  if (byte === 0x74) return matches(bytes, from, TRUE);
  if (byte === 0x66) return matches(bytes, from, FALSE);
  if (byte === 0x6e) return matches(bytes, from, NULL);
  return skipNumber(bytes, from);
}

const TRUE = [0x74, 0x72, 0x75, 0x65];
const FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65];
const NULL = [0x6e, 0x75, 0x6c, 0x6c];

function matches(bytes: Uint8Array, from: number, word: readonly number[]): number {
  for (let index = 0; index < word.length; index += 1) {
    if (bytes[from + index] !== word[index]) return -1;
  }
  return from + word.length;
}

/** `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?` */
function skipNumber(bytes: Uint8Array, from: number): number {
  let at = from;
  if (bytes[at] === MINUS) at += 1;
  if (bytes[at] === ZERO) {
    at += 1;
  } else {
    const digits = skipDigits(bytes, at);
    if (digits === at) return -1;
    at = digits;
  }
  if (bytes[at] === DOT) {
    const digits = skipDigits(bytes, at + 1);
    if (digits === at + 1) return -1;
    at = digits;
  }
  if (bytes[at] === 0x65 || bytes[at] === 0x45) {
    at += 1;
    if (bytes[at] === PLUS || bytes[at] === MINUS) at += 1;
    const digits = skipDigits(bytes, at);
    if (digits === at) return -1;
    at = digits;
  }
  return at;
}

function skipDigits(bytes: Uint8Array, from: number): number {
  let at = from;
  for (;;) {
    const byte = bytes[at];
    if (byte === undefined || byte < ZERO || byte > NINE) return at;
    at += 1;
  }
}
