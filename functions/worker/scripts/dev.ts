/**
 * npm run dev:worker — the Worker in local workerd, fully offline, on 127.0.0.1 (PORT, default 8787).
 * `npm run dev:worker -- --env r2` serves the models from the local R2 simulation instead (seed it first
 * with `npm run seed:worker-r2`). Local state (R2) lives in .wrangler/state at the repository root.
 */
import { join } from 'node:path';
import { messageOf } from '../../../src/core/errors.js';
import { WORKER_DIR, runWrangler, temporaryWranglerConfig } from './offline-env.js';
import { DEFAULT_ASSETS_DIR, prepareAssets } from './prepare-assets.js';

try {
  await prepareAssets();
} catch (error) {
  console.error(`dev:worker: ${messageOf(error)}`);
  process.exit(1);
}
const extra = process.argv.slice(2);
// A temporary copy of wrangler.jsonc keeps wrangler's .wrangler/tmp out of the source tree.
const { config } = temporaryWranglerConfig(DEFAULT_ASSETS_DIR);
const args = ['dev', '-c', config, '--ip', '127.0.0.1', '--port', process.env.PORT ?? '8787'];
args.push('--persist-to', join(WORKER_DIR, '../../.wrangler/state'));
if (!extra.some((a) => a.startsWith('--env') || a === '-e')) args.push('--env=');
const { code } = await runWrangler([...args, ...extra], { inherit: true });
process.exit(code);
