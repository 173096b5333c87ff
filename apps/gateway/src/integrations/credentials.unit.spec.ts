import {
  hashUrlToken,
  newSecret,
  newUrlToken,
  URL_TOKEN_FORMAT,
  urlTokenMatches,
} from './credentials';

describe('integration credentials', () => {
  it('makes URL tokens of 256 random bits in URL-safe base64', () => {
    const token = newUrlToken();

    expect(token).toMatch(URL_TOKEN_FORMAT);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(newUrlToken()).not.toBe(token);
  });

  it('matches a token only against the hash of that very token', () => {
    const token = newUrlToken();
    const hash = hashUrlToken(token);

    expect(urlTokenMatches(token, hash)).toBe(true);
    expect(urlTokenMatches(newUrlToken(), hash)).toBe(false);
    expect(urlTokenMatches(token.slice(0, -1), hash)).toBe(false);
    expect(urlTokenMatches(token, Buffer.alloc(3))).toBe(false);
  });

  it('gives GitLab and generic integrations Standard Webhooks secrets with a 32-byte key', () => {
    for (const provider of ['gitlab', 'generic'] as const) {
      const secret = newSecret(provider);

      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    }
  });

  it('gives GitHub integrations a plain random secret', () => {
    const secret = newSecret('github');

    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newSecret('github')).not.toBe(secret);
  });
});
