/**
 * Import boundaries between the server's modules (issue 7, section 2). Run by
 * `server/test/boundaries.test.ts` through `server/test/support/boundaries.ts`, which cruises one
 * `src` folder with its parent as the working directory: every path below is therefore written as
 * `(?:^|/)src/…`, so the same rules hold for `server/src` and for the test fixture tree
 * (`server/test/fixtures/boundaries/src`). By hand: `cd server && npx depcruise --config .dependency-cruiser.cjs src`.
 *
 * A module is a folder `src/modules/<name>/`; its `index.ts` is its only public face.
 */

/** The composition roots: the places that wire modules together and so may see all of them. */
const compositionRoots = [
  // Builds the services and the HTTP app from every module's index.
  '(?:^|/)src/app\\.ts$',
  // Process entry point (web or worker role); starts what app.ts built.
  '(?:^|/)src/main\\.ts$',
  // TypeORM must be handed every entity class. Listing them here keeps entities out of the modules'
  // index files: exporting an entity publicly would invite other modules to query its table.
  '(?:^|/)src/core/data-source\\.ts$',
  // Operator tools (migrate, seed) run against the whole database outside any request; the seed
  // checks rows by entity to stay idempotent.
  '(?:^|/)src/cli/',
  // BullMQ workers: entry points of the worker role that hand jobs to the modules' services.
  '(?:^|/)src/jobs/',
];

/** Tests may reach into a module to test its internals; they are not part of the shipped graph. */
const tests = '\\.(?:spec|test)\\.ts$';

module.exports = {
  forbidden: [
    {
      name: 'module-deep-import',
      severity: 'error',
      comment:
        'A module uses another module only through its index.ts, so each module can change its insides ' +
        'without breaking the others. Export what is needed from modules/<b>/index.ts and import "../<b>".',
      from: { path: '(?:^|/)src/modules/([^/]+)/', pathNot: tests },
      to: { path: '(?:^|/)src/modules/[^/]+/', pathNot: ['(?:^|/)src/modules/$1/', '(?:^|/)src/modules/[^/]+/index\\.ts$'] },
    },
    {
      name: 'infrastructure-imports-module',
      severity: 'error',
      comment:
        'core/ and http/ are the layers modules build on; if they imported a module, every module would ' +
        'depend on that one. Declare an interface in core/http and let a composition root pass the module in.',
      from: { path: '(?:^|/)src/(?:core|http)/', pathNot: [tests, ...compositionRoots] },
      to: { path: '(?:^|/)src/modules/' },
    },
    {
      name: 'root-deep-import',
      severity: 'error',
      comment:
        'app.ts, main.ts and the workers are consumers like any other module: they go through index.ts. ' +
        'Only data-source.ts (entity list) and cli/ (operator tools) may name a module file directly.',
      from: { path: '(?:^|/)src/(?:app|main)\\.ts$|(?:^|/)src/jobs/', pathNot: tests },
      to: { path: '(?:^|/)src/modules/[^/]+/', pathNot: '(?:^|/)src/modules/[^/]+/index\\.ts$' },
    },
    {
      name: 'module-imports-composition-root',
      severity: 'error',
      comment: 'Modules are wired by the composition roots, never the other way round (that would be a cycle through app.ts).',
      from: { path: '(?:^|/)src/modules/', pathNot: tests },
      to: { path: compositionRoots },
    },
    {
      name: 'module-cycle',
      // Reported, not blocking: a cycle between modules (usually through type-only imports of each
      // other's services) is a smell to remove, but it does not break a boundary by itself.
      severity: 'warn',
      comment: 'Modules that depend on each other in a circle cannot be understood or changed one at a time.',
      from: { path: '(?:^|/)src/modules/([^/]+)/', pathNot: tests },
      // Only cycles that leave the module: a cycle among one module's own files is its own business.
      to: { circular: true, via: { pathNot: '(?:^|/)src/modules/$1/' } },
    },
  ],
  options: {
    // `import type` counts: a type import of another module's internals couples to them just the same.
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    // Only this tree's own source: not the shared package, node_modules or tests.
    includeOnly: '(?:^|/)src/',
    exclude: { path: ['node_modules', tests, '^\\.\\./'] },
  },
};
