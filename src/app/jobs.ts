/**
 * Webhook jobs inside the app: the runtime gives a store, a queue and its HTTP (SSRF-safe fetch and
 * callback POST); the app adds the one classify path (infer: decoder → preprocess → batcher → runRows,
 * then postprocess), the signer, the metrics, and builds the service the routes use and the runner the
 * runtime's worker loop drives.
 */
import { validateTop } from '../core/decode.js';
import { postprocess, requireClasses } from '../core/pipeline.js';
import { JobRunner, type JobWork } from '../jobs/runner.js';
import { JobService, type JobQueue } from '../jobs/service.js';
import { createWebhookSigner } from '../jobs/signature.js';
import type { JobRequest, JobStore } from '../jobs/types.js';
import { type UrlPolicy, createUrlPolicy } from '../jobs/url-policy.js';
import type { AppDeps, AppJobs } from './env.js';
import { infer } from './infer.js';

/** What a runtime supplies for jobs. */
export interface JobsRuntime {
  store: JobStore;
  queue: JobQueue;
  /** This process's name on leases and results (host:pid, or the isolate). */
  owner: string;
  /** The image of a request: SSRF-safe fetch of imageUrl, base64, or an R2 object. */
  loadImage(request: JobRequest, policy: UrlPolicy): Promise<Uint8Array>;
  /** POSTs a callback through the same URL rules. */
  post(
    url: string,
    body: string,
    headers: Record<string, string>,
    policy: UrlPolicy,
  ): Promise<{ status: number; retryAfter: string | null }>;
}

type ClassifyDeps = Pick<
  AppDeps,
  'config' | 'registry' | 'prepareImage' | 'decoding' | 'inference' | 'logger' | 'metrics'
>;

export function createAppJobs(deps: ClassifyDeps, runtime: JobsRuntime): AppJobs {
  const { jobs: config } = deps.config;
  const signer = createWebhookSigner(config.webhookSecrets);
  const policy = createUrlPolicy(config.fetchAllow);
  const work: JobWork = {
    loadImage: (request) => runtime.loadImage(request, policy),
    classify: (bytes, model, top) => classifyImage(deps, bytes, model, top),
    post: (url, body, headers) => runtime.post(url, body, headers, policy),
  };
  const service = new JobService({
    store: runtime.store,
    queue: runtime.queue,
    signer,
    policy,
    defaults: { model: deps.registry.defaultModel, top: deps.config.defaultTop },
    retentionMs: config.retentionMs,
    checkRequest: async (request) => {
      const manifest = await deps.registry.manifest(request.model);
      requireClasses(manifest);
      validateTop(request.top, manifest.output.size);
    },
  });
  const runner = new JobRunner({
    store: runtime.store,
    work,
    signer,
    owner: runtime.owner,
    maxAttempts: config.attempts,
    callbackAttempts: config.callbackAttempts,
    callbackBackoffMs: config.callbackBackoffMs,
    leaseMs: config.leaseMs,
    observer: deps.metrics.jobs,
  });
  deps.metrics.watchJobs(() => service.stats());
  return { service, runner, signer, policy, owner: runtime.owner };
}

/** One image through the same path as POST /v1/models/{model}/classify. */
async function classifyImage(deps: ClassifyDeps, bytes: Uint8Array, model: string, top: number) {
  const manifest = await deps.registry.manifest(model);
  requireClasses(manifest);
  const { provider, items } = await infer(deps, {
    model,
    variant: 'model',
    manifest,
    images: [{ bytes, name: 'image' }],
    signal: new AbortController().signal,
    logger: deps.logger,
    startedAt: performance.now(),
  });
  const { facts, row } = items[0]!;
  return {
    provider,
    image: { format: facts.format, width: facts.width, height: facts.height },
    predictions: postprocess(row, manifest, Math.min(top, manifest.output.size)),
  };
}
