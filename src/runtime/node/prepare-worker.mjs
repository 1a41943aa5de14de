// Prepare-pool thread entry (piscina loads this file): registers tsx's ESM loader in this thread, as
// engine-worker.mjs does, then hands piscina the TypeScript task function.
import { register } from 'tsx/esm/api';

register();
const { prepareTask } = await import('./prepare-worker.ts');
export default prepareTask;
