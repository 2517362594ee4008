// Entry point for `npm run demo`: node out/extension/demo/cli.js --out DIR [--seed N].
import { main } from './generate';

process.exitCode = main(process.argv.slice(2));
