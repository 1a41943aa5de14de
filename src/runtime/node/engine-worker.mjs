// Worker-thread entry. In the built package the compiled engine-worker.js sits beside this file and is
// loaded as it is; in a source checkout (tests, NETLENS_FROM_SOURCE=1) tsx's ESM loader is registered
// in this thread first and the TypeScript module is loaded. tsx is a development dependency only.
import { existsSync } from 'node:fs';
import { URL } from 'node:url';

const compiled = new URL('./engine-worker.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./engine-worker.ts');
}
