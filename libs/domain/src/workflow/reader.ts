import { isAlias, isMap, isNode, isScalar, isSeq, type Node, Scalar } from 'yaml';
import { type Problems, quote } from './problems';
import { offsetOf, type YamlSource } from './yaml-source';

/** A key of a mapping, with its value and the node to point at for problems with that value. */
export interface Field {
  key: Node;
  value: Node;
  /** The value, or the key when the value is empty (an empty value has no text to point at). */
  at: Node;
}

/** A string read from the document, with the node it was written at. */
export interface Located {
  text: string;
  node: Node;
}

/**
 * Typed reads of document nodes, following aliases. Each read answers the value, or reports at
 * the node why it cannot and answers undefined. A read through an alias without an anchor
 * answers undefined silently: that alias is reported once, where it is written.
 */
export class Reader {
  constructor(
    private readonly source: YamlSource,
    private readonly problems: Problems,
  ) {}

  report(node: Node, message: string): void {
    this.problems.at(offsetOf(node), message);
  }

  /** The number of problems reported so far, to tell whether a read found any. */
  get problemCount(): number {
    return this.problems.count;
  }

  lineOf(node: Node): number {
    return this.problems.lineOf(offsetOf(node));
  }

  resolve(node: Node): Node | undefined {
    return isAlias(node) ? this.source.aliases.get(node) : node;
  }

  /** The entries of a mapping by key, reporting keys that are repeated or are not names. */
  entries(node: Node, at: Node, path: string): Map<string, Field> | undefined {
    const map = this.resolve(node);
    if (!map) return undefined;
    if (!isMap(map)) return this.mismatch(at, path, 'a mapping', map);

    const entries = new Map<string, Field>();
    for (const pair of map.items) {
      if (!isNode(pair.key)) continue;
      const name = this.keyName(pair.key, path);
      if (name === undefined) continue;
      if (entries.has(name)) {
        this.report(pair.key, `${path} has the key ${quote(name)} twice`);
      } else {
        entries.set(name, field(pair.key, isNode(pair.value) ? pair.value : null));
      }
    }
    return entries;
  }

  /** The entries whose keys are `allowed`, reporting every other key. */
  known<K extends string>(
    entries: ReadonlyMap<string, Field>,
    path: string,
    allowed: readonly K[],
  ): Map<K, Field> {
    const known = new Map<K, Field>();
    for (const [name, entry] of entries) {
      if (isOneOf(name, allowed)) {
        known.set(name, entry);
      } else {
        const message = `unknown key ${quote(name)} in ${path}; allowed: ${allowed.join(', ')}`;
        this.report(entry.key, message);
      }
    }
    return known;
  }

  /** `entries` and `known` in one step, for mappings whose keys are fixed. */
  fields<K extends string>(
    node: Node,
    at: Node,
    path: string,
    allowed: readonly K[],
  ): Map<K, Field> | undefined {
    const entries = this.entries(node, at, path);
    return entries && this.known(entries, path, allowed);
  }

  /** The items of a sequence as written, so that problems point at any alias used for one. */
  list(node: Node, at: Node, path: string): Node[] | undefined {
    const seq = this.resolve(node);
    if (!seq) return undefined;
    if (!isSeq(seq)) return this.mismatch(at, path, 'a list', seq);
    return seq.items.filter(isNode);
  }

  string(node: Node, at: Node, path: string): string | undefined {
    const target = this.resolve(node);
    if (!target) return undefined;
    if (isScalar(target) && typeof target.value === 'string') return target.value;

    const quoteHint = isScalar(target) && target.value !== null ? ' (quote it to mean text)' : '';
    this.report(at, `${path} must be a string, not ${describe(target)}${quoteHint}`);
    return undefined;
  }

  /** A whole number within [min, max]. */
  integer(node: Node, at: Node, path: string, min: number, max: number): number | undefined {
    const target = this.resolve(node);
    if (!target) return undefined;
    const value = isScalar(target) ? target.value : undefined;
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) {
      return value;
    }
    this.report(
      at,
      `${path} must be a whole number from ${min} to ${max}, not ${describe(target)}`,
    );
    return undefined;
  }

  private keyName(key: Node, path: string): string | undefined {
    const target = this.resolve(key);
    if (!target) return undefined;
    const value = isScalar(target) ? target.value : undefined;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      return String(value);
    }
    this.report(key, `${path} has a key that is ${describe(target)}; keys must be names`);
    return undefined;
  }

  private mismatch(at: Node, path: string, expected: string, actual: Node): undefined {
    this.report(at, `${path} must be ${expected}, not ${describe(actual)}`);
    return undefined;
  }
}

function isOneOf<K extends string>(name: string, allowed: readonly K[]): name is K {
  return (allowed as readonly string[]).includes(name);
}

function field(key: Node, value: Node | null): Field {
  // `? key` with no value composes to a missing value; give it an empty one just after the key.
  const end = key.range?.[1] ?? 0;
  const written = value ?? Object.assign(new Scalar(null), { range: [end, end, end] });
  const isEmpty = !written.range || written.range[0] === written.range[1];
  return { key, value: written, at: isEmpty ? key : written };
}

/** How a node reads in a message: "a list", "empty", "5", '"text"'. */
export function describe(node: Node): string {
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  const value = isScalar(node) ? node.value : undefined;
  if (value === null) return 'empty';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return quote(value);
  return 'a value of another kind';
}
