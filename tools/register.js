// Resolves the workspace's `@kera/<lib>` imports to the compiled libraries in
// dist/, so that built services run with plain `node` and no bundler.
const path = require('node:path');
const tsconfigPaths = require('tsconfig-paths');

tsconfigPaths.register({
  baseUrl: path.resolve(__dirname, '..', 'dist'),
  paths: { '@kera/*': ['libs/*/src/index.js'] },
  addMatchAll: false,
});
