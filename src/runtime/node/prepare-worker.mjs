// Prepare-pool thread entry (piscina loads this file), as engine-worker.mjs: in the built package the
// compiled prepare-worker.js sits beside this file and is loaded as it is; in a source checkout (tests,
// NETLENS_FROM_SOURCE=1) tsx's ESM loader is registered in this thread first and the TypeScript module
// is loaded. tsx is a development dependency only.
import { existsSync } from 'node:fs';
import { URL } from 'node:url';

const compiled = new URL('./prepare-worker.js', import.meta.url);
let prepareTask;
if (existsSync(compiled)) {
  ({ prepareTask } = await import(compiled.href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ prepareTask } = await import('./prepare-worker.ts'));
}
export default prepareTask;
