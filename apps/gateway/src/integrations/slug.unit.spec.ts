import { SLUG_FORMAT, firstFreeSlug, slugFromName } from './slug';

describe('slugs', () => {
  it('derives a lower-case, hyphenated slug from a name', () => {
    expect(slugFromName('acme/api on GitHub', 'github')).toBe('acme-api-on-github');
    expect(slugFromName('  Équipe Qualité — CI  ', 'generic')).toBe('equipe-qualite-ci');
  });

  it('falls back when the name has no letters or digits to use', () => {
    expect(slugFromName('✓✓✓', 'gitlab')).toBe('gitlab');
    expect(slugFromName('---', 'github')).toBe('github');
  });

  it('keeps a long name to 48 characters without a trailing hyphen', () => {
    const slug = slugFromName(`${'a'.repeat(47)} b c`, 'github');

    expect(slug).toBe('a'.repeat(47));
    expect(slug).toMatch(SLUG_FORMAT);
  });

  it('numbers a slug that is taken, from 2 on, skipping numbers taken too', () => {
    expect(firstFreeSlug('ci', new Set())).toBe('ci');
    expect(firstFreeSlug('ci', new Set(['ci']))).toBe('ci-2');
    expect(firstFreeSlug('ci', new Set(['ci', 'ci-2', 'ci-3']))).toBe('ci-4');
  });

  it('only ever yields slugs of the slug format', () => {
    for (const name of ['Hello, World!', 'ünïcödé 42', '-x-', 'A_B.C']) {
      expect(slugFromName(name, 'generic')).toMatch(SLUG_FORMAT);
    }
  });
});
