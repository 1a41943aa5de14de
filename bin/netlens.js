#!/usr/bin/env node
// Runs the TypeScript CLI straight from a fresh clone, no build step: register tsx's ESM loader in this
// process (Node ≥ 20.6 module.register), then import src/cli/main.ts.
import process from 'node:process';
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
