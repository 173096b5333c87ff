import { BadRequestError } from '@kera/contracts';
import { encodeCursor, parseDeliveryLogQuery } from './delivery-log-query';

describe('parseDeliveryLogQuery', () => {
  it('defaults to the newest 50 attempts of every ticket', () => {
    expect(parseDeliveryLogQuery({})).toEqual({
      ticket: null,
      status: null,
      delivery: null,
      limit: 50,
      before: null,
    });
  });

  it('reads every filter, a ticket id in any case, and its own cursor', () => {
    const query = parseDeliveryLogQuery({
      ticket: 'ker-42',
      status: 'failed',
      delivery: 'dlv_abcdefghijklmnopqrstuvwxyz',
      limit: '200',
      after: encodeCursor(1234),
    });

    expect(query).toEqual({
      ticket: 'KER-42',
      status: 'failed',
      delivery: 'dlv_abcdefghijklmnopqrstuvwxyz',
      limit: 200,
      before: 1234,
    });
  });

  it('names every bad filter at once', () => {
    let error: unknown;
    try {
      parseDeliveryLogQuery({
        ticket: 'x',
        status: 'lost',
        limit: '201',
        after: 'zzz',
        delivery: 'd',
      });
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(BadRequestError);
    const fields = (error as BadRequestError).errors?.map((item) => item.field).sort();
    expect(fields).toEqual(['after', 'delivery', 'limit', 'status', 'ticket']);
  });

  it.each(['0', '-1', '2.5', 'ten'])('refuses the limit %s', (limit) => {
    expect(() => parseDeliveryLogQuery({ limit })).toThrow(BadRequestError);
  });

  it('refuses a cursor that was tampered with', () => {
    const forged = `d1.${Buffer.from('1 OR 1=1').toString('base64url')}`;

    expect(() => parseDeliveryLogQuery({ after: forged })).toThrow(BadRequestError);
  });
});
