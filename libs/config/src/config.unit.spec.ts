import { CONFIG_VARIABLES, ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('uses the documented defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      natsUrl: 'nats://127.0.0.1:4222',
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/kera',
      port: 8080,
      adminToken: null,
      outboundAllow: [],
      logLevel: 'info',
      subjectRoot: 'kera',
      streamPrefix: 'KERA',
      streamReplicas: 1,
      inboundMaxBytes: 25 * 1024 * 1024,
    });
  });

  it('documents every variable it reads', () => {
    const names = CONFIG_VARIABLES.map((variable) => variable.name);
    for (const name of [
      'NATS_URL',
      'DATABASE_URL',
      'PORT',
      'KERA_ADMIN_TOKEN',
      'KERA_PUBLIC_URL',
      'KERA_OUTBOUND_ALLOW',
      'LOG_LEVEL',
    ]) {
      expect(names).toContain(name);
    }
  });

  it('reports every bad variable at once', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        LOG_LEVEL: 'loud',
        KERA_SUBJECT_ROOT: 'a.b',
        KERA_ADMIN_TOKEN: 'short',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('PORT');
    expect(problems).toContain('DATABASE_URL');
    expect(problems).toContain('LOG_LEVEL');
    expect(problems).toContain('KERA_SUBJECT_ROOT');
    expect(problems).toContain('KERA_ADMIN_TOKEN');
  });

  it('splits the outbound allow list and ignores blanks', () => {
    expect(loadConfig({ KERA_OUTBOUND_ALLOW: ' 127.0.0.0/8, ,10.0.0.0/8 ' }).outboundAllow).toEqual(
      ['127.0.0.0/8', '10.0.0.0/8'],
    );
  });
});
