import { Naming, STREAMS } from './naming';

describe('Naming', () => {
  const naming = new Naming({ subjectRoot: 'kera', streamPrefix: 'KERA' });

  it('puts all events of one ticket on one subject, broad to narrow', () => {
    expect(naming.ticketEvents('KER-42')).toBe('kera.evt.ticket.KER.KER-42');
    expect(naming.allTicketEvents('KER')).toBe('kera.evt.ticket.KER.*');
  });

  it('gives every stream its own subjects, so two installations can share an account', () => {
    const other = new Naming({ subjectRoot: 'staging', streamPrefix: 'STAGING' });
    for (const key of STREAMS) {
      expect(naming.stream(key)).not.toBe(other.stream(key));
      expect(naming.streamSubjects(key)[0]?.startsWith('kera.evt.')).toBe(true);
      expect(other.streamSubjects(key)[0]?.startsWith('staging.evt.')).toBe(true);
    }
    const all = STREAMS.flatMap((key) => naming.streamSubjects(key));
    expect(new Set(all).size).toBe(all.length);
  });

  it('refuses tokens that would break a subject', () => {
    expect(() => new Naming({ subjectRoot: 'a.b', streamPrefix: 'X' })).toThrow('subject root');
    expect(() => naming.ticketEvents('KER 1')).toThrow('not a valid subject token');
    expect(() => naming.workflowEvents('K>')).toThrow('not a valid subject token');
  });

  it('names commands under the root', () => {
    expect(naming.command('ticket.transition')).toBe('kera.cmd.ticket.transition');
    expect(naming.queueGroup('workflow')).toBe('kera-workflow');
  });
});
