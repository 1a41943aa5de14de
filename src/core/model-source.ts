import type { Manifest } from './manifest.js';

/**
 * Where models come from: a directory on Node, static assets or R2 in a Worker, HTTP in a browser.
 * Implementations verify the manifest's sha256 before returning model bytes (integrity_error otherwise)
 * and throw NetlensError('unknown_model') listing the available names for a name they do not have.
 */
export interface ModelSource {
  /** Manifests of every model this source can serve, sorted by name. */
  list(): Promise<Manifest[]>;
  manifest(name: string): Promise<Manifest>;
  /** The ONNX bytes of the classifier ('model') or of its penultimate-features variant ('features'). */
  modelBytes(manifest: Manifest, variant?: 'model' | 'features'): Promise<Uint8Array>;
}

/** Lowercase hex sha256 using Web Crypto (Node ≥ 20, Workers and browsers all have it). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  // Web Crypto wants an ArrayBuffer-backed view; model bytes never live in a SharedArrayBuffer.
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
