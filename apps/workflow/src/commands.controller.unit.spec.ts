import { ConflictError, UnavailableError } from '@kera/contracts';
import { commandError } from './commands.controller';

/** An error as a driver throws it: a message and a code. */
function coded(code: string, message = 'failed'): Error {
  return Object.assign(new Error(message), { code });
}

describe('commandError', () => {
  it('passes errors the caller can act on through unchanged', () => {
    const conflict = new ConflictError('a concurrent change was stored first');

    expect(commandError(conflict)).toBe(conflict);
  });

  it.each([
    ['refused connection', coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['server shutting down', coded('57P01', 'terminating connection due to administrator command')],
    ['connection failure', coded('08006', 'connection failure')],
    ['too many connections', coded('53300', 'sorry, too many clients already')],
    ['broken connection', new Error('Connection terminated unexpectedly')],
    ['pool timeout', new Error('timeout exceeded when trying to connect')],
  ])('answers 503 naming Postgres when it is not answering (%s)', (_case, error) => {
    const answer = commandError(error);

    expect(answer).toBeInstanceOf(UnavailableError);
    expect((answer as UnavailableError).status).toBe(503);
    expect((answer as UnavailableError).message).toContain('Postgres');
  });

  it.each(['TIMEOUT', '503', 'CONNECTION_CLOSED', 'DISCONNECT'])(
    'answers 503 naming JetStream for the nats client code %s',
    (code) => {
      const answer = commandError(coded(code));

      expect(answer).toBeInstanceOf(UnavailableError);
      expect((answer as UnavailableError).message).toContain('JetStream');
    },
  );

  it('keeps any other failure a fault of ours', () => {
    const duplicate = coded('23505', 'duplicate key value violates unique constraint');
    const bug = new TypeError("Cannot read properties of undefined (reading 'id')");

    expect(commandError(duplicate)).toBe(duplicate);
    expect(commandError(bug)).toBe(bug);
    expect(commandError('a string')).toBe('a string');
  });
});
