/**
 * npm run deploy:worker [-- --dry-run] and npm run deploy:worker:r2 [-- --dry-run] — prepares the
 * environment's static assets (the R2 environment uploads the page only, no models), then runs
 * `wrangler deploy` with its config and environment, passing on any other arguments (`--dry-run`,
 * `--outdir DIR`, …). A real deploy needs your Cloudflare login (`npx wrangler login`); `--dry-run`
 * works offline and prints what would be uploaded.
 */
import { rm } from 'node:fs/promises';
import { messageOf } from '../../../src/core/errors.js';
import { runWrangler, temporaryWranglerConfig } from './offline-env.js';
import { envArgument, prepareAndReportAssets } from './prepare-assets.js';

try {
  const { env, rest } = envArgument(process.argv.slice(2));
  const { varArgs } = await prepareAndReportAssets(env);
  // A temporary copy of the config with absolute paths keeps wrangler's .wrangler/tmp out of the tree.
  const { dir, config } = temporaryWranglerConfig();
  const { code } = await runWrangler(['deploy', '-c', config, `--env=${env}`, ...varArgs, ...rest], {
    inherit: true,
  });
  await rm(dir, { recursive: true, force: true });
  process.exit(code);
} catch (error) {
  console.error(`deploy:worker: ${messageOf(error)}`);
  process.exit(1);
}
