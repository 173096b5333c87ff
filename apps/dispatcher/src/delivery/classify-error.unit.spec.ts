import { runInNewContext } from 'node:vm';
import { RefusedAddressError } from './address-guard';
import { classifyError } from './classify-error';

function systemError(code: string, message = `${code} happened`): Error {
  return Object.assign(new Error(message), { code });
}

// The way axios reports a socket's error: its own error with the same code, the original as cause.
function wrapped(cause: Error): Error {
  const code = (cause as NodeJS.ErrnoException).code;
  return Object.assign(new Error(cause.message, { cause }), { code });
}

describe('classifyError', () => {
  it.each([
    ['ECONNREFUSED', 'connection'],
    ['ECONNRESET', 'connection'],
    ['EPIPE', 'connection'],
    ['EHOSTUNREACH', 'connection'],
    ['ERR_STREAM_PREMATURE_CLOSE', 'connection'],
    ['ETIMEDOUT', 'timeout'],
    ['ENOTFOUND', 'dns'],
    ['EAI_AGAIN', 'dns'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls'],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'tls'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'tls'],
    ['CERT_HAS_EXPIRED', 'tls'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'tls'],
    ['EPROTO', 'tls'],
    ['ERR_INVALID_URL', 'invalid_url'],
    ['HPE_INVALID_CONSTANT', 'other'],
  ])('classifies %s as %s, directly and wrapped', (code, expected) => {
    expect(classifyError(systemError(code)).class).toBe(expected);
    expect(classifyError(wrapped(systemError(code))).class).toBe(expected);
  });

  it('finds a known code on the cause when the wrapper has an unknown one', () => {
    const error = Object.assign(new Error('request failed', { cause: systemError('ENOTFOUND') }), {
      code: 'ERR_BAD_REQUEST',
    });

    expect(classifyError(error).class).toBe('dns');
  });

  it('recognises a refusal by the address guard and keeps its message', () => {
    const refusal = new RefusedAddressError('metadata.internal', '169.254.169.254', 'linkLocal');

    expect(classifyError(wrapped(refusal))).toEqual({
      class: 'refused_address',
      message:
        'refused to connect to metadata.internal (resolved to 169.254.169.254): linkLocal ' +
        'address; add a KERA_OUTBOUND_ALLOW range to permit it',
    });
  });

  it('recognises errors created in another realm, as Node core errors are under test runners', () => {
    const foreign = runInNewContext('Object.assign(new Error("aborted"), { code: "ECONNRESET" })');

    expect(classifyError(foreign)).toEqual({ class: 'connection', message: 'aborted' });
  });

  it('answers other with the text of anything that is not an Error', () => {
    expect(classifyError('boom')).toEqual({ class: 'other', message: 'boom' });
    expect(classifyError(undefined)).toEqual({ class: 'other', message: 'undefined' });
  });

  it('keeps messages to one bounded line', () => {
    const { message } = classifyError(new Error(`first\nsecond\t${'x'.repeat(1000)}`));

    expect(message.startsWith('first second x')).toBe(true);
    expect(message).not.toMatch(/\n/);
    expect(message).toHaveLength(300);
  });
});
