import {
  GENERIC_BODY,
  genericRequest,
  GITHUB_BODY,
  githubRequest,
  gitlabSignedRequest,
  gitlabTokenRequest,
  hubSignature,
  NOW,
  PREVIOUS_SECRET,
  SECRET,
} from './test-fixtures.spec';
import type { InboundHeaders, InboundRequest, RejectionReason } from './types';
import { verifyInbound } from './verify-inbound';

type Row = [string, InboundRequest, 400 | 401 | 415, RejectionReason];

const HEX = 'a'.repeat(64);
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const huge = (length: number) => 'x'.repeat(length);
/** Values a JavaScript caller could pass despite the types. */
const untyped = (value: unknown) => value as string;
const twice = (value: string) => [value, value];
const github = (headers: InboundHeaders) => githubRequest({ headers });
const githubBody = (body: Buffer | string, headers: InboundHeaders = {}) =>
  githubRequest({ body, headers });
const gitlab = (headers: InboundHeaders) => gitlabTokenRequest({ headers });
const generic = (headers: InboundHeaders) => genericRequest({ headers });
const genericBody = (body: string) => genericRequest({ body });
const deepArray = '['.repeat(100_000) + ']'.repeat(100_000);

const ROWS: Row[] = [
  // GitHub: headers sent twice, malformed, or oversized
  [
    'GitHub signature sent twice',
    github({ 'x-hub-signature-256': twice(`sha256=${HEX}`) }),
    400,
    'ambiguous_header',
  ],
  [
    'GitHub event sent twice',
    github({ 'x-github-event': ['push', 'ping'] }),
    400,
    'ambiguous_header',
  ],
  [
    'GitHub delivery id sent twice',
    github({ 'x-github-delivery': twice('d-1') }),
    400,
    'ambiguous_header',
  ],
  [
    'content type sent twice',
    github({ 'content-type': ['application/json', 'text/plain'] }),
    400,
    'ambiguous_header',
  ],
  [
    'signature with a NUL byte',
    github({ 'x-hub-signature-256': `sha256=${HEX}\u0000` }),
    400,
    'malformed_header',
  ],
  [
    'signature with a line break',
    github({ 'x-hub-signature-256': `sha256=${HEX}\r\nX-Evil: 1` }),
    400,
    'malformed_header',
  ],
  [
    'event with a line break',
    github({ 'x-github-event': 'push\r\nping' }),
    400,
    'malformed_header',
  ],
  ['delivery id with DEL', github({ 'x-github-delivery': 'd-1\u007f' }), 400, 'malformed_header'],
  [
    'content type with an escape character',
    github({ 'content-type': 'application/json\u001b' }),
    400,
    'malformed_header',
  ],
  [
    'signature longer than 8 KB',
    github({ 'x-hub-signature-256': `sha256=${huge(8200)}` }),
    400,
    'malformed_header',
  ],
  ['event longer than 8 KB', github({ 'x-github-event': huge(9000) }), 400, 'malformed_header'],
  [
    'content type of a megabyte',
    github({ 'content-type': huge(1 << 20) }),
    400,
    'malformed_header',
  ],
  [
    'signature that is a number',
    github({ 'x-hub-signature-256': untyped(42) }),
    400,
    'malformed_header',
  ],
  [
    'signature that is an object',
    github({ 'x-hub-signature-256': untyped({ toString: () => 'x' }) }),
    400,
    'malformed_header',
  ],
  [
    'signature array holding a number',
    github({ 'x-hub-signature-256': untyped([7]) }),
    400,
    'malformed_header',
  ],
  ['event of exactly 8 KB', github({ 'x-github-event': huge(8192) }), 400, 'invalid_event'],
  ['event of 257 characters', github({ 'x-github-event': huge(257) }), 400, 'invalid_event'],
  ['delivery id of 8 KB', github({ 'x-github-delivery': huge(8192) }), 400, 'invalid_delivery_id'],
  // GitHub: signatures that are missing or cannot match
  ['signature empty', github({ 'x-hub-signature-256': '' }), 401, 'missing_signature'],
  ['signature of spaces', github({ 'x-hub-signature-256': '   ' }), 401, 'missing_signature'],
  ['signature of tabs', github({ 'x-hub-signature-256': '\t\t' }), 401, 'missing_signature'],
  ['signature as an empty array', github({ 'x-hub-signature-256': [] }), 401, 'missing_signature'],
  [
    'signature without digits',
    github({ 'x-hub-signature-256': 'sha256=' }),
    401,
    'signature_mismatch',
  ],
  [
    'signature 63 digits long',
    github({ 'x-hub-signature-256': `sha256=${HEX.slice(1)}` }),
    401,
    'signature_mismatch',
  ],
  [
    'signature 128 digits long',
    github({ 'x-hub-signature-256': `sha256=${HEX}${HEX}` }),
    401,
    'signature_mismatch',
  ],
  [
    'signature of non-hex letters',
    github({ 'x-hub-signature-256': `sha256=${'g'.repeat(64)}` }),
    401,
    'signature_mismatch',
  ],
  [
    'signature with a space inside',
    github({ 'x-hub-signature-256': `sha256= ${HEX}` }),
    401,
    'signature_mismatch',
  ],
  [
    'two signatures joined by a proxy',
    github({ 'x-hub-signature-256': `sha256=${HEX}, sha256=${HEX}` }),
    401,
    'signature_mismatch',
  ],
  [
    'signature of the wrong algorithm',
    github({ 'x-hub-signature-256': `sha512=${HEX}${HEX}` }),
    401,
    'signature_mismatch',
  ],
  [
    'signature with non-ASCII digits',
    github({ 'x-hub-signature-256': `sha256=${'٣'.repeat(64)}` }),
    401,
    'signature_mismatch',
  ],
  [
    'signature of the body under an empty key',
    githubRequest({ signWith: '' }),
    401,
    'signature_mismatch',
  ],
  [
    'signature of an empty body',
    github({ 'x-hub-signature-256': hubSignature(SECRET, '') }),
    401,
    'signature_mismatch',
  ],
  [
    'secret list of empty strings',
    githubRequest({ signWith: '', secrets: ['', ''] }),
    401,
    'no_secret',
  ],
  ['secret list that is empty', githubRequest({ secrets: [] }), 401, 'no_secret'],
  [
    'unsupported content type and wrong signature',
    githubRequest({ signWith: 'x', headers: { 'content-type': 'text/xml' } }),
    401,
    'signature_mismatch',
  ],
  // GitHub: verified bodies that are not readable
  ['signed empty body', githubBody(''), 400, 'unreadable_body'],
  ['signed body of whitespace', githubBody(' \n\t '), 400, 'unreadable_body'],
  ['signed null', githubBody('null'), 400, 'unreadable_body'],
  ['signed JSON string', githubBody('"push"'), 400, 'unreadable_body'],
  ['signed JSON number', githubBody('1e400'), 400, 'unreadable_body'],
  ['signed array nested 100 000 deep', githubBody(deepArray), 400, 'unreadable_body'],
  ['signed truncated JSON', githubBody(GITHUB_BODY.slice(0, -1)), 400, 'unreadable_body'],
  ['signed JSON with trailing garbage', githubBody(`${GITHUB_BODY}}`), 400, 'unreadable_body'],
  [
    'signed lone continuation bytes',
    githubBody(Buffer.from([0x80, 0x81, 0x82])),
    400,
    'unreadable_body',
  ],
  [
    'signed overlong UTF-8 encoding',
    githubBody(Buffer.from([0x7b, 0xc0, 0xaf, 0x7d])),
    400,
    'unreadable_body',
  ],
  [
    'signed UTF-16 without byte order mark',
    githubBody(Buffer.from(GITHUB_BODY, 'utf16le')),
    400,
    'unreadable_body',
  ],
  [
    'signed UTF-32 with byte order mark',
    githubBody(Buffer.from([0xff, 0xfe, 0, 0, 0x7b, 0, 0, 0])),
    400,
    'unreadable_body',
  ],
  ['signed NUL bytes', githubBody(Buffer.alloc(64)), 400, 'unreadable_body'],
  ['signed form without payload', githubBody('a=1&b=2', FORM), 400, 'unreadable_body'],
  ['signed form of a bare payload name', githubBody('payload', FORM), 400, 'unreadable_body'],
  [
    'signed form with broken percent escapes',
    githubBody('payload=%7B%zz%7D', FORM),
    400,
    'unreadable_body',
  ],
  [
    'signed form whose payload is an array',
    githubBody('payload=%5B%5D', FORM),
    400,
    'unreadable_body',
  ],
  [
    'signed form with two payloads',
    githubBody('payload=%7B%7D&payload=%7B%7D', FORM),
    400,
    'unreadable_body',
  ],
  // GitHub: content types, once verified
  ['signed text/plain', github({ 'content-type': 'text/plain' }), 415, 'unsupported_content_type'],
  [
    'signed without content type',
    github({ 'content-type': undefined }),
    415,
    'unsupported_content_type',
  ],
  [
    'signed multipart',
    github({ 'content-type': 'multipart/form-data; boundary=x' }),
    415,
    'unsupported_content_type',
  ],
  [
    'signed content type of parameters only',
    github({ 'content-type': '; charset=utf-8' }),
    415,
    'unsupported_content_type',
  ],
  [
    'signed UTF-16 declared',
    github({ 'content-type': 'application/json; charset=utf-16' }),
    415,
    'unsupported_charset',
  ],
  [
    'signed Latin-1 declared',
    github({ 'content-type': 'application/json; charset=latin1' }),
    415,
    'unsupported_charset',
  ],
  [
    'signed with two charsets',
    github({ 'content-type': 'application/json;charset=utf-8;charset=utf-16' }),
    415,
    'unsupported_charset',
  ],
  ['signed without event', github({ 'x-github-event': undefined }), 400, 'missing_event'],
  ['signed with a blank event', github({ 'x-github-event': '  ' }), 400, 'missing_event'],
  [
    'signed without delivery id',
    github({ 'x-github-delivery': undefined }),
    400,
    'missing_delivery_id',
  ],
  // GitLab
  ['GitLab token sent twice', gitlab({ 'x-gitlab-token': twice(SECRET) }), 400, 'ambiguous_header'],
  [
    'GitLab token with a line break',
    gitlab({ 'x-gitlab-token': `${SECRET}\n` + 'x' }),
    400,
    'malformed_header',
  ],
  [
    'GitLab token longer than 8 KB',
    gitlab({ 'x-gitlab-token': huge(8193) }),
    400,
    'malformed_header',
  ],
  [
    'GitLab Idempotency-Key sent twice',
    gitlab({ 'idempotency-key': twice('k') }),
    400,
    'ambiguous_header',
  ],
  [
    'GitLab Idempotency-Key with a NUL',
    gitlab({ 'idempotency-key': 'k\u0000' }),
    400,
    'malformed_header',
  ],
  [
    'GitLab unused webhook-id sent twice',
    gitlab({ 'webhook-id': twice('m') }),
    400,
    'ambiguous_header',
  ],
  ['GitLab token empty', gitlab({ 'x-gitlab-token': '' }), 401, 'missing_token'],
  [
    'GitLab token of both secrets joined',
    gitlab({ 'x-gitlab-token': `${SECRET}, ${PREVIOUS_SECRET}` }),
    401,
    'token_mismatch',
  ],
  [
    'GitLab token with a trailing character',
    gitlab({ 'x-gitlab-token': `${SECRET}!` }),
    401,
    'token_mismatch',
  ],
  ['GitLab token of 8 KB', gitlab({ 'x-gitlab-token': huge(8192) }), 401, 'token_mismatch'],
  [
    'GitLab garbage signature beside a valid token',
    gitlab({ 'webhook-signature': 'v1,AAAA' }),
    401,
    'missing_signature',
  ],
  [
    'GitLab signature of the wrong version',
    gitlabSignedRequest({ headers: { 'webhook-signature': 'v2,AAAA' } }),
    401,
    'signature_mismatch',
  ],
  ['GitLab token request with no secrets', gitlabTokenRequest({ secrets: [''] }), 401, 'no_secret'],
  [
    'GitLab form body with a valid token',
    gitlabTokenRequest({ body: 'payload=%7B%7D', headers: FORM }),
    415,
    'unsupported_content_type',
  ],
  [
    'GitLab valid token without event',
    gitlab({ 'x-gitlab-event': undefined }),
    400,
    'missing_event',
  ],
  [
    'GitLab valid token with broken JSON',
    gitlabTokenRequest({ body: '{' }),
    400,
    'unreadable_body',
  ],
  // Standard Webhooks senders
  [
    'generic without any header',
    genericRequest({
      headers: {
        'webhook-id': undefined,
        'webhook-timestamp': undefined,
        'webhook-signature': undefined,
      },
    }),
    401,
    'missing_signature',
  ],
  [
    'generic webhook-id sent twice',
    generic({ 'webhook-id': twice('msg_1') }),
    400,
    'ambiguous_header',
  ],
  [
    'generic signature longer than 8 KB',
    generic({ 'webhook-signature': `v1,${huge(9000)}` }),
    400,
    'malformed_header',
  ],
  [
    'generic timestamp in exponent form',
    generic({ 'webhook-timestamp': '1.78e9' }),
    401,
    'invalid_timestamp',
  ],
  [
    'generic negative timestamp',
    generic({ 'webhook-timestamp': '-1780000000' }),
    401,
    'invalid_timestamp',
  ],
  [
    'generic timestamp of 13 digits',
    generic({ 'webhook-timestamp': '1780000000000' }),
    401,
    'invalid_timestamp',
  ],
  [
    'generic timestamp at the epoch',
    genericRequest({ timestamp: 0 }),
    401,
    'timestamp_out_of_tolerance',
  ],
  [
    'generic timestamp a day ahead',
    genericRequest({ timestamp: NOW + 86_400 }),
    401,
    'timestamp_out_of_tolerance',
  ],
  [
    'generic empty v1 signature',
    generic({ 'webhook-signature': 'v1,' }),
    401,
    'signature_mismatch',
  ],
  [
    'generic signature of 200 bogus entries',
    generic({ 'webhook-signature': Array(200).fill('v1,AAAA').join(' ') }),
    401,
    'signature_mismatch',
  ],
  [
    'generic signature without version',
    generic({ 'webhook-signature': Buffer.alloc(32).toString('base64') }),
    401,
    'signature_mismatch',
  ],
  ['generic signed body without type', genericBody('{"data":1}'), 400, 'missing_event'],
  ['generic signed body typed with a number', genericBody('{"type":1}'), 400, 'invalid_event'],
  [
    'generic signed body typed with a control character',
    genericBody('{"type":"a\\u0007b"}'),
    400,
    'invalid_event',
  ],
  ['generic signed array body', genericBody(`[${GENERIC_BODY}]`), 400, 'unreadable_body'],
  ['generic form content type', generic(FORM), 415, 'unsupported_content_type'],
];

describe('verifyInbound on hostile input', () => {
  it('covers at least 60 combinations', () => {
    expect(ROWS.length).toBeGreaterThanOrEqual(60);
  });

  const titled = ROWS.map(
    ([name, request, status, reason]) => [name, status, reason, request] as const,
  );

  it.each(titled)('%s → %i %s', (_case, status, reason, request) => {
    let answer: ReturnType<typeof verifyInbound> | undefined;
    expect(() => {
      answer = verifyInbound(request);
    }).not.toThrow();

    expect(answer).toMatchObject({ ok: false, status, reason });
    expect(JSON.stringify(answer)).not.toContain(SECRET);
  });
});
