import { NetlensError } from '../../core/errors.js';
import { type Manifest, parseManifest } from '../../core/manifest.js';
import { type ModelSource, checkModelBytes, variantFile } from '../../core/model-source.js';
import { type Download, downloadBytes, fetchWatched } from './download.js';

/** What GET /v1/models/{model} says about a model's files (src/app/schemas.ts). */
interface FileRefs {
  model: { sha256: string; bytes?: number; url?: string };
  features?: { sha256: string; bytes?: number; url?: string };
}

export interface HttpModelSourceOptions {
  fetchFn?: typeof fetch;
  /** How model files are downloaded (the page passes one that shows progress). */
  download?: Download;
}

/**
 * A ModelSource over the netlens HTTP API (for the browser): GET /v1/models lists, GET /v1/models/{m}
 * gives the manifest and the files' content-addressed URLs, from which the ONNX bytes are downloaded
 * (cached by the browser for good) and checked against the manifest's sha256 here, in the browser.
 */
export function createHttpModelSource(baseUrl: string, options: HttpModelSourceOptions = {}): ModelSource {
  const fetchFn = options.fetchFn ?? ((input, init) => fetch(input, init));
  const download: Download = options.download ?? ((url, o) => downloadBytes(url, { ...o, fetchFn }));
  const url = (path: string): string => new URL(path, baseUrl).href;
  const details = new Map<string, Promise<{ manifest: Manifest; files: FileRefs }>>();

  async function getJson(path: string): Promise<unknown> {
    // Watched for a stall like the downloads (download.ts): a request a server never answers is retried.
    const response = await fetchWatched(url(path), { fetchFn });
    if (!response.ok) {
      let detail = `${response.status} ${response.statusText}`;
      try {
        const problem = (await response.json()) as { detail?: string; code?: string };
        if (problem.detail) detail = problem.detail;
        if (problem.code === 'unknown_model' || response.status === 404) {
          throw new NetlensError('unknown_model', detail);
        }
      } catch (error) {
        if (error instanceof NetlensError) throw error;
      }
      throw new NetlensError('model_not_ready', `GET ${path} failed: ${detail}`);
    }
    return response.json();
  }

  const detail = (name: string) => {
    let pending = details.get(name);
    if (pending === undefined) {
      pending = getJson(`v1/models/${encodeURIComponent(name)}`).then((body) => {
        const { manifest, files } = body as { manifest?: unknown; files: FileRefs };
        return { manifest: parseManifest(manifest, `manifest of '${name}' from ${baseUrl}`), files };
      });
      pending.catch(() => details.delete(name));
      details.set(name, pending);
    }
    return pending;
  };
  const manifest = async (name: string): Promise<Manifest> => (await detail(name)).manifest;

  const fileRef = async (m: Manifest, variant: 'model' | 'features') => {
    const ref = (await detail(m.name)).files[variant];
    if (ref?.url === undefined) {
      throw new NetlensError(
        'model_not_ready',
        `the server does not expose the ${variant} file of '${m.name}' (exposeModelFiles is off)`,
      );
    }
    return ref as { url: string; bytes?: number };
  };

  return {
    async list() {
      const list = (await getJson('v1/models')) as { models?: { name: string }[] };
      const names = (list.models ?? []).map((m) => m.name).sort();
      return Promise.all(names.map(manifest));
    },
    manifest,
    async modelBytes(m, variant = 'model') {
      const ref = await fileRef(m, variant);
      const bytes = await download(url(ref.url), ref.bytes === undefined ? {} : { expectedBytes: ref.bytes });
      return checkModelBytes(m, variantFile(m, variant), bytes, baseUrl);
    },
    async fileSize(m, variant = 'model') {
      return (await detail(m.name)).files[variant]?.bytes;
    },
    async openModelFile(m, variant = 'model') {
      // Browsers run the model they downloaded: the whole checked file, as a stream.
      const bytes = await this.modelBytes(m, variant);
      return { body: new Blob([bytes as Uint8Array<ArrayBuffer>]).stream(), size: bytes.length };
    },
  };
}
