/**
 * `netlens serve [--port] [--host] [--models DIR] [--model NAME]`: a commander Command the CLI registers
 * (src/cli/main.ts imports serveCommand from here lazily for `netlens serve` and `netlens start`).
 */
import { Command, InvalidArgumentError } from 'commander';
import { isNetlensError, messageOf } from '../../src/core/errors.js';
import { exitOnSignals, startServer } from './server.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('a port number from 0 to 65535');
  return n;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('serve the HTTP API and demo page (PORT, HOST, NETLENS_* variables; see docs/api.md)')
    .option('-p, --port <port>', 'port to listen on (default: PORT or 8080; 0 = any free port)', port)
    .option('--host <host>', 'interface to listen on (default: HOST or 127.0.0.1)')
    .option('-m, --models <dir>', 'models directory (default: NETLENS_MODELS_DIR or models/onnx)')
    .option('--model <name>', 'default model (default: NETLENS_MODEL or nsfw-mobilenet-v2)')
    .action(async (opts: { port?: number; host?: string; models?: string; model?: string }) => {
      try {
        const server = await startServer({
          ...(opts.port !== undefined && { port: opts.port }),
          ...(opts.host !== undefined && { host: opts.host }),
          ...(opts.models !== undefined && { modelsDir: opts.models }),
          ...(opts.model !== undefined && { defaultModel: opts.model }),
        });
        exitOnSignals(server);
      } catch (error) {
        console.error(`netlens serve: ${isNetlensError(error) ? error.message : messageOf(error)}`);
        if (!isNetlensError(error) && error instanceof Error && error.stack) console.error(error.stack);
        process.exit(1);
      }
    });
}
