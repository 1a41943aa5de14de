/**
 * The AWS Lambda entry (`handler.handler` in the zip built by `npm run build:lambda`, or in the container
 * image): API Gateway HTTP API (v2) and REST (v1), Function URL and ALB events. The app is built once
 * per container, during Lambda's init phase (the import starts it), and every invocation awaits the same
 * promise. Settings come from the function's environment (docs/settings.md); docs/lambda.md.
 */
import { fileURLToPath } from 'node:url';
import type { LambdaContext, LambdaEvent } from 'hono/aws-lambda';
import { type LambdaApp, type LambdaResult, createLambdaApp } from './lambda-app.js';

/**
 * The zip's models folder relative to the bundle, defined by build:lambda (esbuild `define`); from
 * source it is not defined and the package's models/onnx is used. NETLENS_MODELS_DIR (e.g. an EFS
 * mount) wins over both.
 */
declare const NETLENS_LAMBDA_MODELS: string | undefined;
const packagedModelsDir =
  typeof NETLENS_LAMBDA_MODELS === 'string'
    ? fileURLToPath(new URL(NETLENS_LAMBDA_MODELS, import.meta.url))
    : undefined;

const ready: Promise<LambdaApp> = createLambdaApp({
  env: process.env,
  ...(packagedModelsDir !== undefined && { packagedModelsDir }),
});
// A failed init is reported by every invocation (below), not as an unhandled rejection at import.
ready.catch(() => undefined);

export async function handler(event: LambdaEvent, context?: LambdaContext): Promise<LambdaResult> {
  return (await ready).handler(event, context);
}

/** Resolves once the default model is loaded (tests and the cold-start bench time it). */
export function initialised(): Promise<LambdaApp> {
  return ready;
}
