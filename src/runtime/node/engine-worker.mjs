// Worker-thread entry: registers tsx's ESM loader in this thread (as bin/netlens.js does for the CLI),
// then loads the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./engine-worker.ts');
