#!/usr/bin/env node
// The netlens command. It runs the compiled JavaScript in dist/ (`npm run build`; the published package
// ships it). In a source checkout, NETLENS_FROM_SOURCE=1 runs src/ through tsx's loader instead (a
// development dependency), which is how the tests run the CLI against the sources they test.
import { existsSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';

let main;
if (process.env.NETLENS_FROM_SOURCE === '1') {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
} else {
  const built = new URL('../dist/cli/main.js', import.meta.url);
  if (!existsSync(built)) {
    process.stderr.write(
      'netlens: dist/ is missing: run `npm run build` first (or NETLENS_FROM_SOURCE=1 in a source checkout)\n',
    );
    process.exit(1);
  }
  ({ main } = await import(built.href));
}
await main(process.argv);
