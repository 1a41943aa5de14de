/** `tsx functions/node/main.ts [serve options]`: the Node server without the rest of the CLI. */
import { serveCommand } from './cli.js';

await serveCommand().name('netlens-serve').parseAsync(process.argv);
