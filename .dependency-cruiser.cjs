/**
 * The architecture's rules, checked by `npm run lint` (docs/architecture.md explains them):
 * no import cycle anywhere; core is pure; the app is runtime-free; src never depends on the
 * entry points, benches, scripts or tests (only its own tests may use test/support).
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles make modules impossible to read, test or load on their own.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'src-not-to-outside',
      severity: 'error',
      comment: 'The product (src) never depends on entry points, benches, scripts or tests.',
      from: { path: '^src/', pathNot: '\\.test\\.ts$' },
      to: { path: '^(functions|bench|scripts|test)/' },
    },
    {
      name: 'src-tests-only-to-test-support',
      severity: 'error',
      comment: 'Unit tests beside the code may use test/support fakes and scripts/golden references only.',
      from: { path: '^src/.*\\.test\\.ts$' },
      to: { path: '^(functions|bench)/|^scripts/(?!golden/)|^test/(?!support/|node-engine-tiny-model)' },
    },
    {
      name: 'core-is-pure',
      severity: 'error',
      comment: 'src/core runs in Node, Workers and browsers: it imports only core (and zod).',
      from: { path: '^src/core/', pathNot: '\\.test\\.ts$' },
      to: { pathNot: '^src/core/|node_modules/zod/' },
    },
    {
      name: 'settings-is-pure',
      severity: 'error',
      comment: 'src/settings is read by every runtime: it imports only core (and ipaddr.js for CIDR lists).',
      from: { path: '^src/settings/', pathNot: '\\.test\\.ts$' },
      to: { pathNot: '^src/(core|settings)/|node_modules/ipaddr\\.js/' },
    },
    {
      name: 'jobs-core-is-pure',
      severity: 'error',
      comment:
        'src/jobs (outside src/jobs/node) runs in Node and Workers: core, zod, standardwebhooks and ipaddr.js only.',
      from: { path: '^src/jobs/', pathNot: '^src/jobs/node/|\\.test\\.ts$' },
      to: {
        pathNot:
          '^src/(core|jobs)/|node_modules/(zod|standardwebhooks|ipaddr\\.js|@stablelib/base64|fast-sha256)/',
      },
    },
    {
      name: 'jobs-core-not-node-jobs',
      severity: 'error',
      comment: 'The runtime-free job core never reaches into its Node stores.',
      from: { path: '^src/(jobs|app)/', pathNot: '^src/jobs/node/|\\.test\\.ts$' },
      to: { path: '^src/jobs/node/' },
    },
    {
      name: 'app-is-runtime-free',
      severity: 'error',
      comment: 'src/app gets its runtime injected: no runtime, CLI or converter imports, no node: modules.',
      from: { path: '^src/app/', pathNot: '\\.test\\.ts$' },
      to: { path: '^src/(runtime|cli|convert)/|^node:|node_modules/(sharp|onnxruntime-)' },
    },
    {
      name: 'web-runtime-not-node',
      severity: 'error',
      comment: 'src/runtime/web runs in Workers and browsers.',
      from: { path: '^src/runtime/web/', pathNot: '\\.test\\.ts$|node-wasm-modules\\.ts$' },
      to: { path: '^src/runtime/node/|^node:|node_modules/(sharp|onnxruntime-node)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|public|models|test/\\.cache|functions/worker/dist)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
