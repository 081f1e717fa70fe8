// One jest run covers every TypeScript test in the repo; projects keep their environments apart.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];
const shared = {
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: { '^@tuan/shared$': '<rootDir>/shared/src/index.ts', '^@tuan/shared/(.*)$': '<rootDir>/shared/src/$1' },
  testEnvironment: 'node',
  rootDir: __dirname,
};
module.exports = {
  testTimeout: 60_000,
  projects: [
    { ...shared, displayName: 'shared', testMatch: ['<rootDir>/shared/src/**/*.spec.ts'] },
    { ...shared, displayName: 'server-unit', testMatch: ['<rootDir>/server/src/**/*.spec.ts'] },
    {
      ...shared,
      displayName: 'server',
      testMatch: ['<rootDir>/server/test/**/*.test.ts'],
      setupFiles: ['reflect-metadata'],
      globalSetup: '<rootDir>/server/test/global-setup.ts',
    },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/scripts/e2e/**/*.e2e.ts'] },
  ],
};
