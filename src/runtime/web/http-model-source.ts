import { NetlensError } from '../../core/errors.js';
import { type Manifest, parseManifest } from '../../core/manifest.js';
import { type ModelSource, checkModelBytes, variantFile } from '../../core/model-source.js';

/**
 * A ModelSource over the netlens HTTP API (for the browser): GET /v1/models lists, GET /v1/models/{m}
 * gives the manifest, GET /v1/models/{m}/files/{variant} the ONNX bytes (checked against the manifest's
 * sha256 here, in the browser).
 */
export function createHttpModelSource(baseUrl: string, fetchFn: typeof fetch = fetch): ModelSource {
  const url = (path: string): string => new URL(path, baseUrl).href;
  const manifests = new Map<string, Promise<Manifest>>();

  async function getJson(path: string): Promise<unknown> {
    const response = await fetchFn(url(path));
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

  const manifest = (name: string): Promise<Manifest> => {
    let pending = manifests.get(name);
    if (pending === undefined) {
      pending = getJson(`v1/models/${encodeURIComponent(name)}`).then((detail) =>
        parseManifest((detail as { manifest?: unknown }).manifest, `manifest of '${name}' from ${baseUrl}`),
      );
      pending.catch(() => manifests.delete(name));
      manifests.set(name, pending);
    }
    return pending;
  };

  return {
    async list() {
      const list = (await getJson('v1/models')) as { models?: { name: string }[] };
      const names = (list.models ?? []).map((m) => m.name).sort();
      return Promise.all(names.map(manifest));
    },
    manifest,
    async modelBytes(m, variant = 'model') {
      const file = variantFile(m, variant);
      const path = `v1/models/${encodeURIComponent(m.name)}/files/${variant}`;
      const response = await fetchFn(url(path));
      if (!response.ok) {
        throw new NetlensError(
          'model_not_ready',
          `GET ${path} failed with ${response.status}: the server must expose model files (exposeModelFiles)`,
        );
      }
      return checkModelBytes(m, file, new Uint8Array(await response.arrayBuffer()), baseUrl);
    },
  };
}
