import { createEvent, parseEvent } from './envelope';

describe('event envelope', () => {
  it('is a CloudEvents 1.0 envelope whose id doubles as correlation id by default', () => {
    const event = createEvent({
      type: 'kera.ticket.created',
      source: 'kera/test',
      subject: 'KER-1',
      data: { a: 1 },
    });
    expect(event).toMatchObject({
      specversion: '1.0',
      type: 'kera.ticket.created',
      source: 'kera/test',
      subject: 'KER-1',
      datacontenttype: 'application/json',
      data: { a: 1 },
    });
    expect(event.correlationid).toBe(event.id);
    expect(new Date(event.time).toISOString()).toBe(event.time);
  });

  it('round-trips through bytes and rejects what is not an envelope', () => {
    const event = createEvent({
      type: 't',
      source: 's',
      subject: 'x',
      data: null,
      correlationId: 'c1',
    });
    expect(parseEvent(Buffer.from(JSON.stringify(event)))).toEqual(event);
    expect(parseEvent(Buffer.from('not json'))).toBeNull();
    expect(parseEvent(Buffer.from('{"specversion":"0.3","id":"x"}'))).toBeNull();
    expect(parseEvent(Buffer.from('[]'))).toBeNull();
  });
});
