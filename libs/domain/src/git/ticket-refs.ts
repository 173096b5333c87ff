/**
 * Finding ticket keys (`KER-42`) in branch names, titles, descriptions and
 * commit messages, and reading what the text says about each one.
 *
 * Matching rules, beyond SPEC section 6:
 * - A key is `<project>-<number>`, case-insensitive, normalised to upper
 *   case. The project must be a known one, so look-alikes of unknown
 *   projects (`UTF-8`, `SHA-256`, `ISO-8601`) never match.
 * - The number is written as the tracker prints it: `KER-007` and `KER-0`
 *   match nothing (a leading zero is more likely another numbering scheme or
 *   a typo than ticket 7), and numbers have at most nine digits.
 * - A key stands alone: it is not glued to letters, digits or combining marks
 *   (`XKER-1`, `KER-12a`), not part of a dotted name (`ker-1.example.com`,
 *   `KER-1.5`, `KER-1.md`), not an address or a handle (`ker-1@host`,
 *   `@ker-1`) and not a URL's host (`https://ker-1/`). Punctuation of any
 *   script, `_`, `/`, `#` and `-` may surround it, and so may Chinese and
 *   Japanese characters, which are written without spaces.
 * - Keys in a URL's path or query count (`https://kera.example/browse/KER-9`).
 * - HTML comments (`<!-- … -->`, e.g. in PR templates) are not read.
 * - Only the first MAX_SCANNED_CHARS characters of a text are read.
 */

/**
 * What a text says about a ticket it names:
 * - `close`: after a closing word (fix/fixes/fixed, close/closes/closed,
 *   resolve/resolves/resolved), e.g. "Fixes: KER-1", "closes #KER-2";
 * - `reference`: after a non-closing word (ref/refs/references, see, see also,
 *   part of, related to, relates to) or after a negated closing word
 *   ("doesn't fix KER-3");
 * - `skip`: after skip/ignore;
 * - `mention`: named without any of these.
 *
 * One word governs a list that follows it ("Fixes KER-1, KER-2 and
 * [KER-3]"), and "Fixes:" followed by a Markdown list governs the list's
 * consecutive items.
 */
export type RefIntent = 'close' | 'reference' | 'skip' | 'mention';

/** One occurrence of a known project's ticket key in a text. */
export interface TicketRef {
  /** Normalised key, e.g. `KER-42`. */
  key: string;
  project: string;
  number: number;
  intent: RefIntent;
  /** Offset of the key in the text, in UTF-16 code units. */
  index: number;
}

/** Longest prefix of a text that is read; GitHub caps PR bodies at 65,536 characters too. */
export const MAX_SCANNED_CHARS = 65_536;

/**
 * Every known project's key in `text`, in order of appearance, one entry per
 * occurrence. `knownProjects` holds project keys as the tracker stores them
 * (upper case).
 */
export function extractTicketRefs(text: string, knownProjects: ReadonlySet<string>): TicketRef[] {
  if (typeof text !== 'string' || knownProjects.size === 0) return [];
  const scanned = hideHtmlComments(text.slice(0, MAX_SCANNED_CHARS));

  const refs: TicketRef[] = [];
  let previous: Anchor | null = null;
  for (const match of scanned.matchAll(CANDIDATE)) {
    const [whole, projectText = '', numberText = ''] = match;
    const start = match.index;
    const end = start + whole.length;
    if (!standsAlone(text, start, end)) continue;

    // Keys of unknown projects still take part in lists ("Fixes ABC-1, KER-2").
    const lead = scanned.slice(previous === null ? 0 : previous.end, start);
    const anchor: Anchor = { end, ...classify(lead, previous) };
    previous = anchor;

    const project = projectText.toUpperCase();
    if (knownProjects.has(project)) {
      const number = Number(numberText);
      refs.push({
        key: `${project}-${number}`,
        project,
        number,
        intent: anchor.intent,
        index: start,
      });
    }
  }
  return refs;
}

/**
 * The normalised key when `text` is exactly one key of a known project
 * (`ker-42` → `KER-42`), else null.
 */
export function parseTicketKey(text: string, knownProjects: ReadonlySet<string>): string | null {
  if (typeof text !== 'string') return null;
  const [, projectText, numberText] = EXACT_KEY.exec(text.trim()) ?? [];
  const project = projectText?.toUpperCase();
  if (project === undefined || numberText === undefined || !knownProjects.has(project)) {
    return null;
  }
  return `${project}-${numberText}`;
}

const CANDIDATE = /([A-Za-z][A-Za-z0-9]{1,9})-([1-9][0-9]{0,8})/g;
const EXACT_KEY = /^([A-Za-z][A-Za-z0-9]{1,9})-([1-9][0-9]{0,8})$/;

const WORD_CHAR = /^[\p{L}\p{N}\p{M}]$/u;
const SPACELESS_SCRIPT = /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]$/u;

function isGlue(char: string): boolean {
  return WORD_CHAR.test(char) && !SPACELESS_SCRIPT.test(char);
}

function standsAlone(text: string, start: number, end: number): boolean {
  const before = charBefore(text, start);
  const after = charAt(text, end);
  if (isGlue(before) || isGlue(after) || before === '@' || after === '@') return false;
  if (before === '.' && isGlue(charBefore(text, start - 1))) return false;
  if (after === '.' && isGlue(charAt(text, end + 1))) return false;
  return !text.endsWith('://', start);
}

/** The whole code point before `index`, so that astral letters count as letters. */
function charBefore(text: string, index: number): string {
  if (index <= 0) return '';
  const code = text.charCodeAt(index - 1);
  const isLowSurrogate = code >= 0xdc00 && code <= 0xdfff;
  return text.slice(isLowSurrogate && index >= 2 ? index - 2 : index - 1, index);
}

function charAt(text: string, index: number): string {
  const code = text.codePointAt(index);
  return code === undefined ? '' : String.fromCodePoint(code);
}

/** Blanks comments out with spaces so that offsets stay those of the original text. */
function hideHtmlComments(text: string): string {
  return text.replace(/<!--[\s\S]*?(?:-->|$)/g, (comment) => ' '.repeat(comment.length));
}

/** The previous stand-alone key, which a list separator extends to the next key. */
interface Anchor {
  end: number;
  intent: RefIntent;
  /** True when the key is an item of a Markdown list introduced by "word:". */
  block: boolean;
}

const INTENT_WORDS: Record<Exclude<RefIntent, 'mention'>, readonly string[]> = {
  close: ['fix', 'fixes', 'fixed', 'close', 'closes', 'closed', 'resolve', 'resolves', 'resolved'],
  reference: [
    'ref',
    'refs',
    'references',
    'see',
    'see also',
    'part of',
    'related to',
    'relates to',
  ],
  skip: ['skip', 'ignore'],
};

const SPACE = String.raw`[\p{Zs}\t]`;
/** Markdown emphasis and code marks that may wrap the word or the key. */
const MARK = '[*_~`]{0,3}';
const OPENER = String.raw`[#\[(]{0,2}`;
const BULLET = String.raw`(?:[-*+]|\d{1,3}[.)])${SPACE}+(?:\[[ x]\]${SPACE}+)?`;

function words(intent: keyof typeof INTENT_WORDS): string {
  return INTENT_WORDS[intent].map((phrase) => phrase.replaceAll(' ', `${SPACE}+`)).join('|');
}

/**
 * An intent word at the end of the text before a key, with what may sit
 * between the two: a colon, Markdown marks, "issue"/"ticket", a URL whose
 * path ends in the key, `#`, `[` or `(`; or a colon, a line break and a list
 * bullet. Quantifiers are bounded or separated by fixed characters so that
 * hostile input cannot make matching slow.
 */
const INTENT_PHRASE = new RegExp(
  String.raw`(?<![\p{L}\p{N}\p{M}'’-])` +
    String.raw`(?:(?<negation>not|never|cannot|\p{L}{1,8}n['’]t)${SPACE}+)?` +
    `(?:(?<close>${words('close')})|(?<reference>${words('reference')})|(?<skip>${words('skip')}))` +
    '(?:' +
    `(?<block>${MARK}${SPACE}*:${MARK}${SPACE}*\\r?\\n(?:${SPACE}*\\r?\\n)?${SPACE}*(?:${BULLET})?)` +
    `|${MARK}${SPACE}*(?::${MARK}${SPACE}*)?${MARK}(?:(?:tickets?|issues?)${SPACE}+)?` +
    String.raw`(?:https?:\/\/\S{0,200}\/)?` +
    ')' +
    `${OPENER}${MARK}$`,
  'iu',
);

/** Between two keys of one list: spaces, commas, "and", "&", "/" and brackets. */
const LIST_SEPARATOR = new RegExp(
  String.raw`^(?:[\p{Zs}\t,&+/\])#\[(*_~\x60]|and(?![\p{L}\p{N}]))*$`,
  'iu',
);

/** From the end of one list item to the start of the next line's item. */
const NEXT_LIST_ITEM = new RegExp(`^[^\\n]*\\n${SPACE}*${BULLET}${OPENER}${MARK}$`, 'iu');

function classify(lead: string, previous: Anchor | null): Omit<Anchor, 'end'> {
  const groups = INTENT_PHRASE.exec(lead)?.groups;
  if (groups !== undefined) {
    return { intent: intentOf(groups), block: groups['block'] !== undefined };
  }

  if (previous !== null && LIST_SEPARATOR.test(lead)) {
    return { intent: previous.intent, block: previous.block };
  }
  if (previous?.block === true && NEXT_LIST_ITEM.test(lead)) {
    return { intent: previous.intent, block: true };
  }
  return { intent: 'mention', block: false };
}

function intentOf(groups: Readonly<Record<string, string | undefined>>): RefIntent {
  // "doesn't fix KER-1" still relates the PR to the ticket, but must not move it.
  if (groups['negation'] !== undefined) return 'reference';
  if (groups['close'] !== undefined) return 'close';
  if (groups['skip'] !== undefined) return 'skip';
  return 'reference';
}
