import { LineCounter } from 'yaml';
import { WORKFLOW_LIMITS } from './limits';
import { type WorkflowError } from './types';

interface Found {
  offset: number;
  message: string;
}

/**
 * Collects the problems of one document by source offset. Lines and columns are worked out only
 * for the problems listed, as a hostile document can produce a great many.
 */
export class Problems {
  private readonly found: Found[] = [];
  private readonly lines: LineCounter;

  constructor(text: string) {
    this.lines = countLines(text);
  }

  at(offset: number, message: string): void {
    this.found.push({ offset, message });
  }

  get count(): number {
    return this.found.length;
  }

  lineOf(offset: number): number {
    return this.lines.linePos(offset).line;
  }

  /** In source order, without repeats, capped at `WORKFLOW_LIMITS.maxErrors`. */
  list(): WorkflowError[] {
    const unique = withoutRepeats([...this.found].sort((a, b) => a.offset - b.offset));
    const max = WORKFLOW_LIMITS.maxErrors;
    const listed = unique.slice(0, max).map((found) => this.error(found));
    const firstUnlisted = unique[max];
    if (firstUnlisted === undefined) return listed;

    const note = `${unique.length - max} more problems are not listed; fix these and try again`;
    return [...listed, this.error({ offset: firstUnlisted.offset, message: note })];
  }

  private error({ offset, message }: Found): WorkflowError {
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col, message };
  }
}

/**
 * yaml starts a new line after every "\n" (so "\r\n" too), and so does this. The counter is
 * filled from the text rather than by the parser so that positions exist even for problems
 * found before parsing.
 */
function countLines(text: string): LineCounter {
  const lines = new LineCounter();
  lines.addNewLine(0);
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) {
    lines.addNewLine(at + 1);
  }
  return lines;
}

/** Drops a problem reported again at the same offset (aliases can make one node read twice). */
function withoutRepeats(sorted: Found[]): Found[] {
  const unique: Found[] = [];
  let offset = -1;
  let messages = new Set<string>();
  for (const found of sorted) {
    if (found.offset !== offset) {
      offset = found.offset;
      messages = new Set();
    }
    if (!messages.has(found.message)) unique.push(found);
    messages.add(found.message);
  }
  return unique;
}

/** Text for a message: quoted, escaped, and cut short so that hostile input cannot bloat it. */
export function quote(text: string): string {
  const max = 60;
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}...` : text);
}
