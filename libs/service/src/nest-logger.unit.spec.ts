import { Writable } from 'node:stream';
import { createLogger } from '@kera/config';
import { NestLogger } from './nest-logger';

function capture(level: 'info' | 'debug' = 'debug') {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const logger = new NestLogger(createLogger('test', level, sink));
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines };
}

describe('Nest messages on the service logger', () => {
  it('keeps the level, the message and Nest’s context', () => {
    const { logger, lines } = capture();

    logger.log('Mapped {/api/tickets, POST} route', 'RouterExplorer');
    logger.warn('slow start');
    logger.verbose('details', 'Injector');

    expect(lines()).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'Mapped {/api/tickets, POST} route',
        context: 'RouterExplorer',
      }),
      expect.objectContaining({ level: 'warn', msg: 'slow start' }),
    ]);
    expect(lines()[1]).not.toHaveProperty('context');
  });

  it('logs an error with its stack and context, and an Error object as err', () => {
    const { logger, lines } = capture();

    logger.error('handler crashed', 'Error: x\n    at y', 'ExceptionsHandler');
    logger.error(new Error('bad thing'), 'ExceptionHandler');

    expect(lines()[0]).toMatchObject({
      level: 'error',
      msg: 'handler crashed',
      stack: 'Error: x\n    at y',
      context: 'ExceptionsHandler',
    });
    expect(lines()[1]).toMatchObject({
      level: 'error',
      msg: 'bad thing',
      context: 'ExceptionHandler',
      err: expect.objectContaining({ message: 'bad thing' }),
    });
  });

  it('writes nothing below the logger’s level', () => {
    const { logger, lines } = capture('info');

    logger.debug('hidden', 'Somewhere');
    logger.verbose('hidden too');

    expect(lines()).toEqual([]);
  });
});
