import {
  IntegrationDirectory,
  toActiveIntegration,
  verifyingSecrets,
  type ActiveIntegration,
  type DirectoryLimits,
} from './integration-directory';

const LIMITS: DirectoryLimits = {
  maxAgeMs: 10_000,
  missMaxAgeMs: 5_000,
  maxMisses: 3,
  creationSettleMs: 2_000,
};

function integration(slug: string, secret = 'current'): ActiveIntegration {
  return toActiveIntegration({
    id: `id-${slug}`,
    provider: 'github',
    slug,
    project: null,
    tokenHash: Buffer.alloc(32),
    secret,
    previousSecret: null,
    previousSecretExpiresAt: null,
  });
}

/** A database of integrations that counts its reads and can hold a read back. */
class FakeSource {
  readonly rows = new Map<string, ActiveIntegration>();
  reads = 0;
  settledReads = 0;
  private held: (() => void) | null = null;

  hold(): void {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    this.held = release;
    this.gate = gate;
  }

  release(): void {
    this.held?.();
    this.held = null;
    this.gate = Promise.resolve();
  }

  private gate: Promise<void> = Promise.resolve();

  async findActive(slug: string): Promise<ActiveIntegration | null> {
    this.reads += 1;
    const row = this.rows.get(slug) ?? null;
    await this.gate;
    return row;
  }

  async findActiveSettled(slug: string): Promise<ActiveIntegration | null> {
    this.settledReads += 1;
    await this.gate;
    return this.rows.get(slug) ?? null;
  }
}

describe('IntegrationDirectory', () => {
  let source: FakeSource;
  let now: number;
  let directory: IntegrationDirectory;

  beforeEach(() => {
    source = new FakeSource();
    now = 1_000_000;
    directory = new IntegrationDirectory(source, LIMITS, () => now);
  });

  it('reads an integration once and answers from memory until its maximum age', async () => {
    source.rows.set('acme', integration('acme'));

    expect((await directory.find('acme'))?.id).toBe('id-acme');
    now += LIMITS.maxAgeMs - 1;
    expect((directory.find('acme') as ActiveIntegration).id).toBe('id-acme');
    expect(source.reads).toBe(1);

    now += 1;
    source.rows.delete('acme');
    expect(await directory.find('acme')).toBeNull();
    expect(source.reads).toBe(2);
  });

  it('shares one read among concurrent requests for a slug not held', async () => {
    source.rows.set('acme', integration('acme'));

    const found = await Promise.all([1, 2, 3].map(() => directory.find('acme')));

    expect(found.map((one) => one?.id)).toEqual(['id-acme', 'id-acme', 'id-acme']);
    expect(source.reads).toBe(1);
  });

  it('remembers an unknown slug for its own maximum age, then asks again', async () => {
    expect(await directory.find('nobody')).toBeNull();
    expect(directory.find('nobody')).toBeNull();
    expect(source.reads).toBe(1);

    now += LIMITS.missMaxAgeMs;
    expect(await directory.find('nobody')).toBeNull();
    expect(source.reads).toBe(2);
  });

  it('keeps at most maxMisses unknown slugs, forgetting the oldest first', async () => {
    for (const slug of ['a', 'b', 'c', 'd']) await directory.find(slug);

    expect(directory.size().unknown).toBe(LIMITS.maxMisses);
    expect(directory.find('d')).toBeNull();
    expect(source.reads).toBe(4);
    await directory.find('a');
    expect(source.reads).toBe(5);
  });

  it('reads a revoked integration again once the change is committed, and requests wait for it', async () => {
    source.rows.set('acme', integration('acme'));
    await directory.find('acme');

    source.hold();
    directory.changed('id-acme');
    const during = directory.find('acme');
    source.rows.delete('acme');
    source.release();

    expect(await during).toBeNull();
    expect(source.settledReads).toBe(1);
    expect(directory.find('acme')).toBeNull();
  });

  it('takes the slug of a revocation from its event when the integration is not held', async () => {
    source.rows.set('acme', integration('acme'));
    directory.changed('id-acme', 'acme');

    expect(source.settledReads).toBe(1);
    expect((await directory.find('acme'))?.id).toBe('id-acme');
    expect(source.reads).toBe(0);
  });

  it('does not keep a read that was under way when a change was heard', async () => {
    source.rows.set('acme', integration('acme', 'old'));
    source.hold();
    const before = directory.find('acme');
    directory.changed('unheld-id');
    source.rows.set('acme', integration('acme', 'new'));
    source.release();

    expect((await before)?.secrets).toEqual(['old']);
    expect((await directory.find('acme'))?.secrets).toEqual(['new']);
    expect(source.reads).toBe(2);
  });

  it('forgets an unknown slug when an integration is created there, and does not remember a miss while it settles', async () => {
    expect(await directory.find('fresh')).toBeNull();

    directory.created('fresh');
    expect(await directory.find('fresh')).toBeNull();
    expect(await directory.find('fresh')).toBeNull();
    expect(source.reads).toBe(3);

    source.rows.set('fresh', integration('fresh'));
    expect((await directory.find('fresh'))?.id).toBe('id-fresh');

    now += LIMITS.creationSettleMs;
    source.rows.delete('fresh');
    now += LIMITS.maxAgeMs;
    expect(await directory.find('fresh')).toBeNull();
    expect(directory.find('fresh')).toBeNull();
  });

  it('forgets everything on clear', async () => {
    source.rows.set('acme', integration('acme'));
    await directory.find('acme');
    await directory.find('nobody');

    directory.clear();

    expect(directory.size()).toEqual({ known: 0, unknown: 0 });
  });

  it('lets a failed read fail its requests and reads again on the next one', async () => {
    const failing = new IntegrationDirectory(
      {
        findActive: () => Promise.reject(new Error('database down')),
        findActiveSettled: () => Promise.reject(new Error('database down')),
      },
      LIMITS,
      () => now,
    );

    await expect(failing.find('acme')).rejects.toThrow('database down');
    await expect(failing.find('acme')).rejects.toThrow('database down');
  });
});

describe('verifyingSecrets', () => {
  it('offers the previous secret only until it expires', () => {
    const rotated = toActiveIntegration({
      id: 'id',
      provider: 'github',
      slug: 'acme',
      project: null,
      tokenHash: Buffer.alloc(32),
      secret: 'new',
      previousSecret: 'old',
      previousSecretExpiresAt: new Date(5_000),
    });

    expect(verifyingSecrets(rotated, 4_999)).toEqual(['new', 'old']);
    expect(verifyingSecrets(rotated, 5_000)).toEqual(['new']);
  });
});
