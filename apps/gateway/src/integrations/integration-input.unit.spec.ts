import { BadRequestError, ValidationError } from '@kera/contracts';
import { readNewIntegration } from './integration-input';

function problems(body: unknown): { field?: string; message: string }[] {
  try {
    readNewIntegration(body);
  } catch (error) {
    if (error instanceof ValidationError) return error.errors ?? [];
    throw error;
  }
  throw new Error('expected a validation error');
}

describe('reading a new integration', () => {
  it('accepts a provider and a name, trimming the name', () => {
    expect(readNewIntegration({ provider: 'github', name: '  acme/api ' })).toEqual({
      provider: 'github',
      name: 'acme/api',
      project: null,
    });
  });

  it('keeps a project key in upper case whatever case it was given in', () => {
    expect(readNewIntegration({ provider: 'gitlab', name: 'web', project: 'ker' }).project).toBe(
      'KER',
    );
  });

  it('names every invalid field at once', () => {
    const fields = problems({
      provider: 'bitbucket',
      name: '',
      project: 'not a key',
      extra: 1,
    }).map((problem) => problem.field);

    expect(fields).toEqual(['provider', 'name', 'project', 'extra']);
  });

  it('refuses a missing provider and a name with a line break', () => {
    expect(problems({ name: 'two\nlines' }).map((problem) => problem.field)).toEqual([
      'provider',
      'name',
    ]);
  });

  it('refuses a name longer than 100 characters', () => {
    expect(problems({ provider: 'generic', name: 'x'.repeat(101) })).toEqual([
      expect.objectContaining({ field: 'name' }),
    ]);
  });

  it('answers a body that is not a JSON object with a bad request', () => {
    for (const body of [undefined, null, 'github', ['github']]) {
      expect(() => readNewIntegration(body)).toThrow(BadRequestError);
    }
  });
});
