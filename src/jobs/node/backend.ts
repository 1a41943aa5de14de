import { hostname } from 'node:os';
import { join } from 'node:path';
import { decodeBase64 } from '../../core/base64.js';
import { NetlensError } from '../../core/errors.js';
import type { Settings } from '../../settings/index.js';
import { JobPoller } from '../poller.js';
import type { JobRequest } from '../types.js';
import type { UrlPolicy } from '../url-policy.js';
import { type JobSettings, type NodeJobBackend, startPurge } from './contract.js';
import { type Resolver, type SafeFetch, createSafeFetch } from './safe-fetch.js';
import { openSqliteStore } from './sqlite.js';

/** `sqlite:<file>` (default: `<models dir>/../data/jobs.sqlite`) or `redis://…` (node/redis.ts). */
export function queueLocation(settings: Pick<Settings, 'queue'>, modelsDir: string): string {
  return settings.queue ?? `sqlite:${join(modelsDir, '..', 'data', 'jobs.sqlite')}`;
}

export async function openJobBackend(
  settings: JobSettings,
  modelsDir: string,
  options: { resolve?: Resolver; owner?: string } = {},
): Promise<NodeJobBackend> {
  const location = queueLocation(settings, modelsDir);
  const owner = options.owner ?? `${hostname()}:${process.pid}`;
  const http = nodeJobHttp(settings, options.resolve);
  if (location.startsWith('redis')) {
    const { openRedisBackend } = await import('./redis.js');
    return { ...(await openRedisBackend(location, settings)), owner, ...http };
  }
  const store = openSqliteStore(location.slice('sqlite:'.length));
  await store.init();
  let poller: JobPoller | undefined;
  let purge: ReturnType<typeof setInterval> | undefined;
  return {
    store,
    owner,
    ...http,
    queue: { push: async () => poller?.push() },
    async startWorkers({ service, runner, onError }) {
      poller = new JobPoller({
        store,
        runner,
        owner,
        leaseMs: settings.jobVisibilityMs,
        concurrency: settings.jobConcurrency,
        onError,
      });
      poller.start();
      purge = startPurge(service, onError);
    },
    async close() {
      clearInterval(purge);
      await poller?.stop();
      await store.close();
    },
  };
}

/** Image loading and callback POSTs through the SSRF-safe fetch (one per URL policy). */
function nodeJobHttp(settings: JobSettings, resolve: Resolver | undefined) {
  const fetchers = new WeakMap<UrlPolicy, SafeFetch>();
  const fetcher = (policy: UrlPolicy): SafeFetch => {
    let found = fetchers.get(policy);
    if (!found) {
      found = createSafeFetch({
        policy,
        maxBytes: settings.fetchMaxBytes,
        timeoutMs: settings.fetchTimeoutMs,
        connectTimeoutMs: settings.fetchConnectTimeoutMs,
        ...(resolve && { resolve }),
      });
      fetchers.set(policy, found);
    }
    return found;
  };
  return {
    async loadImage(request: JobRequest, policy: UrlPolicy): Promise<Uint8Array> {
      if (request.base64 !== undefined) return decodeBase64(request.base64, 'base64');
      if (request.imageUrl !== undefined) return fetcher(policy).image(request.imageUrl);
      throw new NetlensError('invalid_argument', 'the job has no image source this runtime reads', {
        details: { permanent: true },
      });
    },
    post: (url: string, body: string, headers: Record<string, string>, policy: UrlPolicy) =>
      fetcher(policy).post(url, body, headers),
  };
}

export type { JobSettings, JobWorkers, NodeJobBackend } from './contract.js';
