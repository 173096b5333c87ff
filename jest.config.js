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
// cluster). `npm test` runs a short part of it, at KERA_FAULT_SCALE's small
// default: the SIGKILL of each service with the NATS and Postgres restarts,
// several instances of each service, the hostile corpus and receivers, and
// the harness's own NATS server test. The whole suite (adding the 3-node
// cluster and the 30-second outages) runs with `npm run test:faults`, with
// `--selectProjects faults`, or with KERA_FAULTS=1.
const wholeFaultSuite = process.env.KERA_FAULTS === '1' || process.argv.includes('faults');
const faultSuite = wholeFaultSuite
  ? ['<rootDir>/test/faults/**/*.e2e.spec.ts']
  : [
      '<rootDir>/test/faults/faults.e2e.spec.ts',
      '<rootDir>/test/faults/scale-out.e2e.spec.ts',
      '<rootDir>/test/faults/hostile-*.e2e.spec.ts',
    ];
const faults = {
  ...common,
  displayName: 'faults',
  testMatch: [...faultSuite, '<rootDir>/libs/testing/src/nats-server.int.spec.ts'],
};

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
    faults,
  ],
};
