import {
  type Alias,
  type Document,
  isAlias,
  isMap,
  isSeq,
  type Node,
  parseDocument,
  visit,
  type YAMLError,
} from 'yaml';
import { WORKFLOW_LIMITS } from './limits';
import { findExcessiveNesting } from './nesting';
import { type Problems, quote } from './problems';

/** A composed YAML document whose nesting and alias expansion are known to be within bounds. */
export interface YamlSource {
  root: Node | null;
  /** What each alias stands for; an alias without an earlier anchor is absent (and reported). */
  aliases: ReadonlyMap<Alias, Node>;
}

/**
 * Composes `text` as one YAML document and reports its syntax errors. Answers undefined, after
 * reporting why, when the document is too deep or its aliases expand too far to be read safely.
 */
export function readYamlSource(text: string, problems: Problems): YamlSource | undefined {
  const tooDeep = findExcessiveNesting(text, WORKFLOW_LIMITS.maxNesting);
  if (tooDeep !== undefined) {
    problems.at(tooDeep, `collections nest deeper than ${WORKFLOW_LIMITS.maxNesting} levels`);
    return undefined;
  }

  // yaml's own duplicate-key check compares every key with every other (quadratic in the size
  // of a mapping); the reader finds duplicates with a hash map instead.
  const doc = withoutStackTraces(() =>
    parseDocument(text, { prettyErrors: false, uniqueKeys: false }),
  );
  for (const issue of [...doc.errors, ...doc.warnings]) {
    problems.at(issue.pos[0], syntaxMessage(issue, text));
  }

  const aliases = resolveAliases(doc, problems);
  const excess = findExcessiveExpansion(doc.contents, aliases, WORKFLOW_LIMITS.maxAliasExpansion);
  if (excess !== undefined) {
    const limit = WORKFLOW_LIMITS.maxAliasExpansion;
    problems.at(offsetOf(excess), `aliases expand the document by more than ${limit} nodes`);
    return undefined;
  }
  return { root: doc.contents, aliases };
}

/** The start of a node in the source. Composed nodes always carry a range. */
export function offsetOf(node: Node): number {
  return node.range?.[0] ?? 0;
}

/**
 * Runs `compose` with stack traces off. yaml makes an Error for each syntax problem, and a
 * hostile 256 KiB document has some 150,000 of them; capturing their stacks, which nobody reads,
 * took about 40 % of the time. The setting is process-wide, so it is restored before returning,
 * and nothing else runs in between.
 */
function withoutStackTraces<T>(compose: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return compose();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** yaml's message, with a hint where a workflow author is likely to need one. */
function syntaxMessage({ code, message, pos }: YAMLError, text: string): string {
  // yaml's own text for this one recommends one of its functions.
  if (code === 'MULTIPLE_DOCS') return 'a workflow is a single YAML document; remove the "---"';
  // A bare * (an alias without a name) is the likeliest way to write "any state" wrongly.
  if (code === 'BAD_ALIAS' && text.slice(pos[0], pos[1]) === '*') {
    return `${message} (to mean "any state", quote it: "*")`;
  }
  return message;
}

/** Follows the YAML rule: an alias names the closest anchor of that name before it. */
function resolveAliases(doc: Document.Parsed, problems: Problems): Map<Alias, Node> {
  const anchors = new Map<string, Node>();
  const aliases = new Map<Alias, Node>();
  visit(doc, {
    Node(_key, node) {
      if (isAlias(node)) {
        const target = anchors.get(node.source);
        // yaml itself reports an alias with an empty name.
        if (target) {
          aliases.set(node, target);
        } else if (node.source !== '') {
          problems.at(offsetOf(node), `no anchor ${quote(`&${node.source}`)} before this alias`);
        }
      } else if (node.anchor) {
        anchors.set(node.anchor, node);
      }
    },
  });
  return aliases;
}

/**
 * The alias at which the nodes added by expanding aliases first exceed `limit`, or undefined.
 * Each node's expanded size is computed once; an anchor always precedes its aliases, so its size
 * is known when an alias is met, except for an alias inside its own anchor, counted as one node.
 */
function findExcessiveExpansion(
  root: Node | null,
  aliases: ReadonlyMap<Alias, Node>,
  limit: number,
): Alias | undefined {
  const sizes = new Map<Node, number>();
  let added = 0;
  let culprit: Alias | undefined;

  const sizeOf = (node: unknown): number => {
    if (isAlias(node)) {
      const target = aliases.get(node);
      const size = (target && sizes.get(target)) ?? 1;
      added += size - 1;
      if (added > limit) culprit ??= node;
      return size;
    }
    let size = 1;
    if (isMap(node)) for (const pair of node.items) size += sizeOf(pair.key) + sizeOf(pair.value);
    if (isSeq(node)) for (const item of node.items) size += sizeOf(item);
    if (isMap(node) || isSeq(node)) sizes.set(node, size);
    return size;
  };

  if (root) sizeOf(root);
  return culprit;
}
