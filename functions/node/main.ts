/**
 * The Node server entry (what a container runs): `netlens serve` without the rest of the CLI — the same
 * flags, settings (docs/settings.md) and exit statuses. `tsx functions/node/main.ts [--port N] …`
 */
import { main } from '../../src/cli/main.js';

await main([process.argv[0]!, 'netlens', 'serve', ...process.argv.slice(2)]);
