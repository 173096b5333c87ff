import type { GitCommit, GitEvent, GitProvider } from './model';

/** Raised while reading a payload that lacks a field the model needs; never leaves a mapper. */
export class MalformedPayload extends Error {}

const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/i;
const ZERO_SHA = /^0+$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

/**
 * A position inside an untrusted JSON payload. Reading never throws for a
 * missing or mistyped value: optional readers answer null, `require*` readers
 * raise MalformedPayload naming the path, which the mapper turns into an
 * `ignored` event.
 */
export class Field {
  private constructor(
    private readonly value: unknown,
    readonly path: string,
  ) {}

  static root(payload: unknown): Field {
    return new Field(payload, 'payload');
  }

  /** The member `key` of this object; a missing member when this is not an object. */
  at(key: string): Field {
    const fields = this.fields();
    const value = fields !== undefined && Object.hasOwn(fields, key) ? fields[key] : undefined;
    return new Field(value, `${this.path}.${key}`);
  }

  isObject(): boolean {
    return this.fields() !== undefined;
  }

  requireObject(): this {
    if (!this.isObject()) throw this.malformed('an object');
    return this;
  }

  /** Elements of an array; a non-array reads as empty. */
  items(): Field[] {
    if (!Array.isArray(this.value)) return [];
    return this.value.map((item: unknown, index) => new Field(item, `${this.path}[${index}]`));
  }

  text(): string | null {
    return typeof this.value === 'string' ? this.value : null;
  }

  requireText(): string {
    const text = this.text();
    if (text === null) throw this.malformed('text');
    return text;
  }

  /** Non-empty text after trimming, or null. */
  name(): string | null {
    const text = this.text()?.trim();
    return text ? text : null;
  }

  requireName(): string {
    const name = this.name();
    if (name === null) throw this.malformed('non-empty text');
    return name;
  }

  /**
   * The value `choices` maps this text to; null when the field is absent or
   * not text, MalformedPayload when it is a word the mapper does not know.
   */
  oneOf<T>(choices: ReadonlyMap<string, T>): T | null {
    const text = this.text();
    if (text === null) return null;
    const choice = choices.get(text);
    if (choice === undefined) {
      throw new MalformedPayload(`${this.path} has the unknown value '${text.slice(0, 40)}'`);
    }
    return choice;
  }

  requireOneOf<T>(choices: ReadonlyMap<string, T>): T {
    const choice = this.oneOf(choices);
    if (choice === null) throw this.malformed('text');
    return choice;
  }

  bool(): boolean | null {
    return typeof this.value === 'boolean' ? this.value : null;
  }

  /** A positive safe integer (ids, numbers, iids), also accepted when written as digits. */
  positiveInteger(): number | null {
    const value =
      typeof this.value === 'string' && /^[1-9][0-9]{0,15}$/.test(this.value)
        ? Number(this.value)
        : this.value;
    return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : null;
  }

  requirePositiveInteger(): number {
    const value = this.positiveInteger();
    if (value === null) throw this.malformed('a positive integer');
    return value;
  }

  /** An absolute http(s) URL; anything else (e.g. `javascript:`) reads as missing. */
  url(): string | null {
    const text = this.text();
    if (text === null || !URL.canParse(text)) return null;
    const { protocol } = new URL(text);
    return protocol === 'https:' || protocol === 'http:' ? text : null;
  }

  requireUrl(): string {
    const url = this.url();
    if (url === null) throw this.malformed('an http(s) URL');
    return url;
  }

  /** A full commit SHA in lower case; the all-zero SHA (no commit) reads as null. */
  sha(): string | null {
    const text = this.text();
    if (text === null || !SHA.test(text) || ZERO_SHA.test(text)) return null;
    return text.toLowerCase();
  }

  requireSha(): string {
    const sha = this.sha();
    if (sha === null) throw this.malformed('a commit SHA');
    return sha;
  }

  /** An e-mail address; placeholders such as `[REDACTED]` read as null. */
  email(): string | null {
    const text = this.name();
    return text !== null && EMAIL.test(text) ? text : null;
  }

  private fields(): Readonly<Record<string, unknown>> | undefined {
    const { value } = this;
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Readonly<Record<string, unknown>>)
      : undefined;
  }

  private malformed(expected: string): MalformedPayload {
    return new MalformedPayload(`${this.path} is missing or not ${expected}`);
  }
}

/** True when a SHA field says "no commit" (GitLab and GitHub write forty zeros). */
export function isZeroSha(value: Field): boolean {
  const text = value.text();
  return text !== null && text.length > 0 && ZERO_SHA.test(text);
}

export const BRANCH_PREFIX = 'refs/heads/';
export const TAG_PREFIX = 'refs/tags/';

/** The branch a full ref names, or null for tags, merge request refs and the like. */
export function branchOf(ref: string): string | null {
  return ref.startsWith(BRANCH_PREFIX) && ref.length > BRANCH_PREFIX.length
    ? ref.slice(BRANCH_PREFIX.length)
    : null;
}

/** The tag a full ref names; MalformedPayload when `ref` is not a tag ref. */
export function requireTagOf(ref: Field): string {
  const text = ref.requireName();
  if (!text.startsWith(TAG_PREFIX) || text.length === TAG_PREFIX.length) {
    throw new MalformedPayload(`${ref.path} is not a tag ref`);
  }
  return text.slice(TAG_PREFIX.length);
}

/**
 * The commits of a push. Both providers write `id`, `message`, `url`,
 * `timestamp` and `author: {name, email}`. An entry lacking its id, message or
 * URL is left out rather than discarding the whole push.
 */
export function commitsOf(list: Field): GitCommit[] {
  return list.items().flatMap((commit) => {
    const id = commit.at('id').sha();
    const message = commit.at('message').text();
    const url = commit.at('url').url();
    if (id === null || message === null || url === null) return [];
    const author = commit.at('author');
    return [
      {
        id,
        message,
        url,
        author_name: author.at('name').name(),
        author_email: author.at('email').email(),
        timestamp: commit.at('timestamp').name(),
      },
    ];
  });
}

/** Distinct positive numbers found at `key` in each element of `list`, in order. */
export function numbersOf(list: Field, key: string): number[] {
  const numbers = list.items().map((item) => item.at(key).positiveInteger());
  return [...new Set(numbers.filter((number) => number !== null))];
}

/** Longest event name quoted back in an `ignored` event; the header is untrusted. */
const MAX_EVENT_NAME = 64;

export function ignored(provider: GitProvider, event: string, reason: string): GitEvent {
  return { kind: 'ignored', provider, event: event.slice(0, MAX_EVENT_NAME), reason };
}

/** One mapper per event name; returns the model, or raises MalformedPayload. */
export type EventMapper = (root: Field) => GitEvent;

/**
 * Looks up the mapper for an event and runs it on the payload, so that an
 * unknown event or a malformed payload both come back as `ignored`.
 */
export function mapEvent(
  provider: GitProvider,
  mappers: ReadonlyMap<string, EventMapper>,
  eventName: string,
  payload: unknown,
): GitEvent {
  const event = typeof eventName === 'string' ? eventName.trim().slice(0, MAX_EVENT_NAME) : '';
  const mapper = mappers.get(event.toLowerCase());
  if (mapper === undefined) return ignored(provider, event, `event '${event}' is not acted on`);

  try {
    return mapper(Field.root(payload).requireObject());
  } catch (error) {
    if (error instanceof MalformedPayload) {
      return ignored(provider, event, `malformed payload: ${error.message}`);
    }
    throw error;
  }
}
