import {
  BadRequestError,
  PROJECT_KEY,
  ValidationError,
  isRecord,
  type ProblemItem,
} from '@kera/contracts';
import type { InboundProvider } from '../inbound/verification';

export const PROVIDERS: readonly InboundProvider[] = ['github', 'gitlab', 'generic'];

/** Longest integration name, in characters. */
export const MAX_INTEGRATION_NAME_LENGTH = 100;

const CONTROL_CHARACTER = /\p{Cc}/u;

const FIELDS = new Set(['provider', 'name', 'project']);

/** A valid request to create an integration. */
export interface NewIntegration {
  provider: InboundProvider;
  /** Trimmed, 1 to 100 characters of one line. */
  name: string;
  /** An upper-case project key, or null for every project. */
  project: string | null;
}

/**
 * Reads `POST /api/integrations`: a JSON object with `provider`, `name` and an optional
 * `project` (matched case-insensitively, kept in upper case). Every problem is reported at
 * once, each naming its field; a body that is not a JSON object is a 400.
 */
export function readNewIntegration(body: unknown): NewIntegration {
  if (!isRecord(body)) throw new BadRequestError('the request body must be a JSON object');

  const errors: ProblemItem[] = [];
  const provider = readProvider(body.provider, errors);
  const name = readName(body.name, errors);
  const project = readProject(body.project, errors);
  for (const field of Object.keys(body).filter((key) => !FIELDS.has(key))) {
    errors.push({ field, message: 'unknown field; expected provider, name and project' });
  }

  if (errors.length > 0 || provider === null || name === null) {
    throw new ValidationError('the integration is not valid', errors);
  }
  return { provider, name, project };
}

function readProvider(value: unknown, errors: ProblemItem[]): InboundProvider | null {
  const provider = PROVIDERS.find((known) => known === value);
  if (provider !== undefined) return provider;
  errors.push({
    field: 'provider',
    message: `provider is required and must be one of ${PROVIDERS.join(', ')}`,
  });
  return null;
}

function readName(value: unknown, errors: ProblemItem[]): string | null {
  const name = typeof value === 'string' ? value.trim() : '';
  if (name === '') {
    errors.push({ field: 'name', message: 'name is required and must be a non-empty string' });
    return null;
  }
  if (name.length > MAX_INTEGRATION_NAME_LENGTH || CONTROL_CHARACTER.test(name)) {
    errors.push({
      field: 'name',
      message: `name must be at most ${MAX_INTEGRATION_NAME_LENGTH} characters of one line`,
    });
    return null;
  }
  return name;
}

function readProject(value: unknown, errors: ProblemItem[]): string | null {
  if (value === undefined || value === null) return null;
  const project = typeof value === 'string' ? value.trim().toUpperCase() : '';
  if (PROJECT_KEY.test(project)) return project;
  errors.push({
    field: 'project',
    message: `project must be a project key matching ${PROJECT_KEY.source} (any case)`,
  });
  return null;
}
