#!/usr/bin/env node
// `npx kera …` and `npm run kera -- …`: the operator CLI. Its TypeScript
// source is tools/cli/; `npm run build` compiles it into dist/.
const fs = require('node:fs');
const path = require('node:path');

const compiled = path.join(__dirname, '..', 'dist', 'tools', 'cli', 'main.js');
if (!fs.existsSync(compiled)) {
  process.stderr.write('kera: the CLI is not built yet; run `npm run build` first\n');
  process.exit(2);
}
require('./register.js');
require(compiled).main();
