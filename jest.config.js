/** One jest config, three projects: fast unit/integration tests beside the code; fault injection and e2e against the packed tarball. */
const transform = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
};
const moduleNameMapper = {
  // Specs beside the code import the shared test helpers by this alias (tsconfig.json "paths").
  '^@testing/(.*)$': '<rootDir>/testing/$1',
};

module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      moduleNameMapper,
      roots: ['<rootDir>/packages', '<rootDir>/testing', '<rootDir>/tools'],
      testMatch: ['**/*.spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/'],
    },
    {
      // Fault injection against the packed tarball: processes killed, hung, interrupted, crashed, ...
      // Prints the fault table at the end (faults/support/global-teardown.ts).
      displayName: 'faults',
      testEnvironment: 'node',
      transform,
      moduleNameMapper,
      roots: ['<rootDir>/faults'],
      testMatch: ['**/*.fault.ts'],
      globalSetup: '<rootDir>/faults/support/global-setup.ts',
      globalTeardown: '<rootDir>/faults/support/global-teardown.ts',
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      transform,
      moduleNameMapper,
      roots: ['<rootDir>/e2e'],
      testMatch: ['**/*.e2e.ts'],
      testTimeout: 600000,
    },
  ],
};
