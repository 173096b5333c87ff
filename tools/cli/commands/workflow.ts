import { readFile } from 'node:fs/promises';
import type { WorkflowPutResult } from '@kera/contracts';
import { CliError, EXIT } from '../errors';
import type { Command } from '../command';
import { details } from '../output';

const MAX_BYTES = 256 * 1024;

const put: Command = {
  path: ['workflow', 'put'],
  args: ['<project>', '<file>'],
  summary: 'set a project’s workflow from a YAML file (`-` reads standard input)',
  help: 'Example: kera workflow put KER workflows/ker.yaml',
  async run(context, { args: [project, file] }) {
    const yaml = await readSource(file ?? '-');
    const result = await context
      .gateway()
      .request<WorkflowPutResult>(`/api/projects/${encodeURIComponent(project ?? '')}/workflow`, {
        method: 'PUT',
        yaml,
      });
    if (context.json) return context.io.out(`${JSON.stringify(result, null, 2)}\n`);
    context.io.out(details({ ...result }));
  },
};

const get: Command = {
  path: ['workflow', 'get'],
  args: ['<project>'],
  summary: 'print a project’s current workflow as it was put',
  async run(context, { args: [project] }) {
    const yaml = await context
      .gateway()
      .request<string>(`/api/projects/${encodeURIComponent(project ?? '')}/workflow`);
    context.io.out(yaml.endsWith('\n') ? yaml : `${yaml}\n`);
  },
};

async function readSource(file: string): Promise<string> {
  try {
    const bytes = file === '-' ? await readStdin() : await readFile(file);
    if (bytes.length > MAX_BYTES) {
      throw new CliError(`${file} is larger than ${MAX_BYTES / 1024} KiB`, EXIT.usage);
    }
    return bytes.toString('utf8');
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`, EXIT.usage);
  }
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    // Stop reading early: the size check after this rejects it anyway.
    if (size > MAX_BYTES) break;
  }
  return Buffer.concat(chunks);
}

export const WORKFLOW_COMMANDS = [put, get];
