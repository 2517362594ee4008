#!/usr/bin/env node
'use strict';
// The `rollout-lens` command line. Build first (`npm run build`): it runs the bundled dist/cli.js.
const path = require('path');
const fs = require('fs');
const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write('rollout-lens: dist/cli.js is missing; run `npm run build` in the rollout-lens folder first\n');
  process.exit(2);
}
require(cli).main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
  process.stderr.write(`rollout-lens: ${e && e.stack || e}\n`);
  process.exitCode = 2;
});
