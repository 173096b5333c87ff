import { parseArgs } from 'node:util';
import type { Command, Context, OptionSpec } from './command';
import { AUDIT_COMMANDS } from './commands/audit';
import { DELIVERY_COMMANDS } from './commands/deliveries';
import { INTEGRATION_COMMANDS } from './commands/integrations';
import { MIGRATE_COMMANDS } from './commands/migrate';
import { STREAM_COMMANDS } from './commands/streams';
import { TICKET_COMMANDS } from './commands/tickets';
import { WORKFLOW_COMMANDS } from './commands/workflow';
import { CliError, EXIT, UsageError } from './errors';
import { GatewayClient } from './gateway-client';
import { processOutput, type Output } from './output';

export const COMMANDS: readonly Command[] = [
  ...INTEGRATION_COMMANDS,
  ...WORKFLOW_COMMANDS,
  ...TICKET_COMMANDS,
  ...DELIVERY_COMMANDS,
  ...AUDIT_COMMANDS,
  ...STREAM_COMMANDS,
  ...MIGRATE_COMMANDS,
];

const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  url: {
    type: 'string',
    placeholder: '<url>',
    description: 'the gateway (default http://127.0.0.1:$PORT, PORT defaulting to 8080)',
  },
  token: {
    type: 'string',
    placeholder: '<token>',
    description: 'admin token (default KERA_ADMIN_TOKEN)',
  },
  json: { type: 'boolean', description: 'print JSON instead of text' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
};

export interface RunOptions {
  io?: Output;
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
}

/** Runs one command line (without `node` and the script); resolves to the exit code. */
export async function run(argv: readonly string[], options: RunOptions = {}): Promise<number> {
  const io = options.io ?? processOutput;
  try {
    return await dispatch(argv, io, options);
  } catch (error) {
    if (error instanceof CliError) {
      io.err(`kera: ${error.message}\n`);
      if (error instanceof UsageError) io.err('Run `kera --help` for the commands.\n');
      return error.exitCode;
    }
    io.err(`kera: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.failed;
  }
}

async function dispatch(argv: readonly string[], io: Output, options: RunOptions): Promise<number> {
  const { values, positionals } = parse(argv);
  const command = findCommand(positionals);
  if (!command) return helpForWords(io, positionals, values.help === true);
  if (values.help) {
    io.out(commandHelp(command));
    return EXIT.ok;
  }

  checkOptions(command, values);
  const args = positionals.slice(command.path.length);
  if (args.length !== command.args.length) {
    const expected = command.args.length === 0 ? 'no arguments' : command.args.join(' ');
    throw new UsageError(`kera ${command.path.join(' ')} takes ${expected}`);
  }
  const env = options.env ?? process.env;
  const context: Context = {
    io,
    json: values.json === true,
    env,
    signal: options.signal ?? new AbortController().signal,
    gateway: () => gatewayClient(values, env),
  };
  const code = await command.run(context, { values, args });
  return typeof code === 'number' ? code : EXIT.ok;
}

/** Parses with every command's options at once; which ones apply is checked afterwards. */
function parse(argv: readonly string[]) {
  const known: Record<string, OptionSpec> = { ...GLOBAL_OPTIONS };
  for (const command of COMMANDS) Object.assign(known, command.options);
  const config = Object.fromEntries(
    Object.entries(known).map(([name, { type, multiple, short }]) => [
      name,
      { type, ...(multiple ? { multiple } : {}), ...(short ? { short } : {}) },
    ]),
  );
  try {
    return parseArgs({ args: [...argv], options: config, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0] ?? 'cannot read the command line');
  }
}

function findCommand(words: readonly string[]): Command | undefined {
  return COMMANDS.find((command) => command.path.every((word, index) => words[index] === word));
}

function checkOptions(command: Command, values: Record<string, unknown>): void {
  for (const name of Object.keys(values)) {
    if (!(name in GLOBAL_OPTIONS) && !(command.options && name in command.options)) {
      throw new UsageError(`kera ${command.path.join(' ')} has no option --${name}`);
    }
  }
}

function gatewayClient(
  values: Record<string, unknown>,
  env: RunOptions['env'] = {},
): GatewayClient {
  const token = typeof values.token === 'string' ? values.token : env.KERA_ADMIN_TOKEN;
  if (!token) throw new UsageError('no admin token: pass --token or set KERA_ADMIN_TOKEN');
  const url =
    typeof values.url === 'string' ? values.url : `http://127.0.0.1:${env.PORT || '8080'}`;
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    throw new UsageError(`--url must be an http(s) URL, got ${JSON.stringify(url)}`);
  }
  return new GatewayClient(url, token);
}

// ---- help -------------------------------------------------------------------

function helpForWords(io: Output, words: readonly string[], asked: boolean): number {
  const group = COMMANDS.filter((command) => command.path[0] === words[0]);
  if (words.length > 0 && group.length === 0) {
    throw new UsageError(`unknown command: ${words.join(' ')}`);
  }
  if (words.length > 1) throw new UsageError(`unknown command: ${words.join(' ')}`);
  io.out(overview(group.length > 0 ? group : COMMANDS));
  return asked || words[0] === 'help' ? EXIT.ok : EXIT.usage;
}

function overview(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((command) => usageLine(command).length));
  const lines = commands.map(
    (command) => `  ${usageLine(command).padEnd(width)}  ${command.summary}`,
  );
  return [
    'Usage: kera <command> [options]   (npx kera … or npm run kera -- …)',
    '',
    'Commands:',
    ...lines,
    '',
    'Global options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'Exit codes: 0 done, 1 the system refused or reported a failure, 2 wrong usage,',
    '            3 the gateway or NATS could not be reached.',
    'Run `kera <command> --help` for a command’s options.',
    '',
  ].join('\n');
}

function commandHelp(command: Command): string {
  const lines = [`Usage: kera ${usageLine(command)} [options]`, '', command.summary, ''];
  if (command.options) lines.push('Options:', ...optionLines(command.options), '');
  lines.push('Global options:', ...optionLines(GLOBAL_OPTIONS), '');
  if (command.help) lines.push(command.help, '');
  return lines.join('\n');
}

function usageLine(command: Command): string {
  return [...command.path, ...command.args].join(' ');
}

function optionLines(options: Record<string, OptionSpec>): string[] {
  const names = Object.entries(options).map(([name, spec]) => {
    const short = spec.short ? `-${spec.short}, ` : '';
    return [`${short}--${name}${spec.placeholder ? ` ${spec.placeholder}` : ''}`, spec] as const;
  });
  const width = Math.max(...names.map(([name]) => name.length));
  return names.map(
    ([name, spec]) =>
      `  ${name.padEnd(width)}  ${spec.description}${spec.multiple ? ' (repeatable)' : ''}`,
  );
}

// ---- process entry ----------------------------------------------------------

/** The process entry used by tools/kera.js: Ctrl-C stops follow modes, the exit code is set. */
export function main(): void {
  const controller = new AbortController();
  process.once('SIGINT', () => {
    controller.abort();
    // A second Ctrl-C while a request hangs ends the process at once.
    process.once('SIGINT', () => process.exit(130));
  });
  void run(process.argv.slice(2), { signal: controller.signal }).then((code) => {
    process.exitCode = code;
  });
}
