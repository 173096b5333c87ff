import type { GatewayClient } from './gateway-client';
import type { Output } from './output';

/** One option of a command, as `kera <command> --help` describes it. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  description: string;
  /** Shown after the option name in help, e.g. `<file>`. */
  placeholder?: string;
  multiple?: boolean;
  short?: string;
}

export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface Invocation {
  values: OptionValues;
  /** The words after the command's own, e.g. the ticket id. */
  args: string[];
}

/** What a command may use: output, the gateway, the environment, a stop signal. */
export interface Context {
  io: Output;
  json: boolean;
  env: Record<string, string | undefined>;
  /** The admin API client; asking for it without a token is a usage error. */
  gateway(): GatewayClient;
  /** Aborted on Ctrl-C, so that follow modes end cleanly. */
  signal: AbortSignal;
}

export interface Command {
  /** The words that name it, e.g. `['tickets', 'transition']`. */
  path: string[];
  /** The positional arguments, e.g. `<id> <to>`; their count is checked. */
  args: string[];
  summary: string;
  /** More lines for `--help`: examples, defaults. */
  help?: string;
  options?: Record<string, OptionSpec>;
  /** Returns the exit code (default 0). */
  run(context: Context, invocation: Invocation): Promise<number | void>;
}

/** A string option's value, or undefined. */
export function text(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}
