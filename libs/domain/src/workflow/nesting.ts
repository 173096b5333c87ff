import { CST, Lexer } from 'yaml';

interface LexedToken {
  type: CST.TokenType | 'scalar-content';
  source: string;
  offset: number;
}

/**
 * The offset of the first token that sits deeper than `limit` collections, or undefined.
 * It reads the lexer's tokens, which is cheap and cannot recurse, whatever the input.
 */
export function findExcessiveNesting(text: string, limit: number): number | undefined {
  const gauge = new DepthGauge();
  for (const token of lex(text)) {
    if (gauge.depthAt(token) > limit) return token.offset;
  }
  return undefined;
}

const BLOCK_INDICATORS = new Set<LexedToken['type']>([
  'seq-item-ind',
  'explicit-key-ind',
  'map-value-ind',
]);
const LAYOUT = new Set<LexedToken['type']>(['space', 'newline', 'comment']);

/**
 * An upper bound of the nesting depth, token by token: the open flow brackets, plus the block
 * indicators (`-`, `?`, `:`) earlier on the line, plus two for each enclosing indentation (a
 * mapping and a block sequence may share one).
 */
class DepthGauge {
  private readonly indents: number[] = [];
  private flow = 0;
  private indicatorsOnLine = 0;
  private indent = 0;
  private atLineStart = true;

  depthAt({ type, source }: LexedToken): number {
    let depth = 0;
    if (this.atLineStart && type === 'space') this.indent = source.length;
    if (!LAYOUT.has(type)) depth = this.enter(type);
    if (source.endsWith('\n')) this.startLine();
    return depth;
  }

  private enter(type: LexedToken['type']): number {
    if (this.atLineStart && this.flow === 0) this.openIndentation();
    this.atLineStart = false;

    if (this.flow === 0 && BLOCK_INDICATORS.has(type)) this.indicatorsOnLine += 1;
    if (type === 'flow-seq-start' || type === 'flow-map-start') this.flow += 1;
    if (type === 'flow-seq-end' || type === 'flow-map-end') this.flow = Math.max(0, this.flow - 1);
    return 2 * this.indents.length + this.indicatorsOnLine + this.flow;
  }

  /** A line's indentation closes every deeper or equal one before it, then opens its own. */
  private openIndentation(): void {
    while ((this.indents.at(-1) ?? -1) >= this.indent) this.indents.pop();
    this.indents.push(this.indent);
  }

  private startLine(): void {
    this.atLineStart = true;
    this.indent = 0;
    this.indicatorsOnLine = 0;
  }
}

/**
 * The lexer's tokens with their source offsets. The lexer also emits marker characters that are
 * not in the source; a scalar marker announces that the next token is scalar content, whatever
 * it looks like (block scalar content starts with spaces, for one).
 */
function* lex(text: string): Generator<LexedToken> {
  let offset = 0;
  let scalarNext = false;
  for (const source of new Lexer().lex(text)) {
    if (source === CST.SCALAR || source === CST.DOCUMENT || source === CST.FLOW_END) {
      scalarNext = source === CST.SCALAR;
      continue;
    }
    const type = scalarNext ? 'scalar-content' : (CST.tokenType(source) ?? 'scalar-content');
    scalarNext = false;
    yield { type, source, offset };
    offset += source.length;
  }
}
