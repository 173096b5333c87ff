// Three tiers, named in each test file: *.unit.spec.ts (pure logic, no I/O),
// *.int.spec.ts (real NATS, Postgres and HTTP on loopback) and *.e2e.spec.ts
// (the built services as separate processes).
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
};
const moduleNameMapper = { '^@kera/(.*)$': '<rootDir>/libs/$1/src/index.ts' };
const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform,
  moduleNameMapper,
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
};

// The fault suite (SIGKILLs, server restarts, 30-second outages, a NATS
// cluster) runs with `npm run test:faults`; `npm test` leaves it out unless
// KERA_FAULTS=1, so that the everyday run stays short.
const faults =
  process.env.KERA_FAULTS === '1' || process.argv.includes('faults')
    ? [
        {
          ...common,
          displayName: 'faults',
          testMatch: [
            '<rootDir>/test/faults/**/*.e2e.spec.ts',
            '<rootDir>/libs/testing/src/nats-server.int.spec.ts',
          ],
        },
      ]
    : [];

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['**/*.unit.spec.ts'] },
    {
      ...common,
      displayName: 'int',
      testMatch: ['**/*.int.spec.ts'],
      // Servers of the test's own, killed and restarted: part of the fault suite.
      testPathIgnorePatterns: [
        ...common.testPathIgnorePatterns,
        '/libs/testing/src/nats-server\\.int\\.spec\\.ts$',
      ],
      slowTestThreshold: 30,
    },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e.spec.ts'] },
    ...faults,
  ],
};
