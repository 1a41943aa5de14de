/**
 * npm run dev:worker — the Worker in local workerd, fully offline, on 127.0.0.1 (PORT, default 8787).
 * `npm run dev:worker -- --env r2` serves the models from the local R2 simulation instead (seed it first
 * with `npm run seed:worker-r2`). Local state (R2) lives in .wrangler/state at the repository root.
 */
import { join } from 'node:path';
import { messageOf } from '../../../src/core/errors.js';
import { WORKER_DIR, runWrangler, temporaryWranglerConfig } from './offline-env.js';
import { envArgument, prepareAndReportAssets } from './prepare-assets.js';

const { env, rest } = envArgument(process.argv.slice(2));
let varArgs: string[];
try {
  ({ varArgs } = await prepareAndReportAssets(env));
} catch (error) {
  console.error(`dev:worker: ${messageOf(error)}`);
  process.exit(1);
}
// A temporary copy of wrangler.jsonc keeps wrangler's .wrangler/tmp out of the source tree.
const { config } = temporaryWranglerConfig();
const args = ['dev', '-c', config, `--env=${env}`, '--ip', '127.0.0.1', '--port', process.env.PORT ?? '8787'];
args.push('--persist-to', join(WORKER_DIR, '../../.wrangler/state'), ...varArgs);
const { code } = await runWrangler([...args, ...rest], { inherit: true });
process.exit(code);
