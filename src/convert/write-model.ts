import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseManifest, type ManifestInput } from '../core/manifest.js';

/**
 * Writes files atomically as a set: each goes to `<file>.tmp-<pid>` first and all are renamed only
 * when every write succeeded, so a failure never leaves a partial model behind.
 */
export async function writeFilesAtomically(
  files: { path: string; data: Uint8Array | string }[],
): Promise<void> {
  const temps: { temp: string; final: string }[] = [];
  try {
    for (const f of files) {
      await mkdir(path.dirname(f.path), { recursive: true });
      const temp = `${f.path}.tmp-${process.pid}`;
      temps.push({ temp, final: f.path });
      await writeFile(temp, f.data);
    }
    for (const t of temps) await rename(t.temp, t.final);
  } catch (error) {
    await Promise.all(temps.map((t) => rm(t.temp, { force: true })));
    throw error;
  }
}

export interface WrittenModel {
  onnxPath: string;
  manifestPath: string;
  featuresPath?: string;
}

/** Writes `<name>.onnx`, optionally `<name>.features.onnx`, and the validated manifest `<name>.json`. */
export async function writeConvertedModel(
  outDir: string,
  manifest: ManifestInput,
  onnx: Uint8Array,
  features?: Uint8Array,
): Promise<WrittenModel> {
  parseManifest(manifest, `manifest of ${manifest.name}`);
  const onnxPath = path.join(outDir, manifest.file);
  const manifestPath = path.join(outDir, `${manifest.name}.json`);
  const files: { path: string; data: Uint8Array | string }[] = [{ path: onnxPath, data: onnx }];
  let featuresPath: string | undefined;
  if (features && manifest.features) {
    featuresPath = path.join(outDir, manifest.features.file);
    files.push({ path: featuresPath, data: features });
  }
  // The manifest last: a reader that finds it finds the models it names.
  files.push({ path: manifestPath, data: `${JSON.stringify(manifest, null, 2)}\n` });
  await writeFilesAtomically(files);
  return { onnxPath, manifestPath, ...(featuresPath ? { featuresPath } : {}) };
}

/**
 * Files written under temporary names and renamed together by commit(); discard() removes them. Lets a
 * converter write each large ONNX buffer as soon as it exists and drop it, instead of holding them all.
 */
export class StagedFiles {
  private readonly staged: { temp: string; final: string }[] = [];

  async add(finalPath: string, data: Uint8Array | string): Promise<string> {
    await mkdir(path.dirname(finalPath), { recursive: true });
    const temp = `${finalPath}.tmp-${process.pid}`;
    this.staged.push({ temp, final: finalPath });
    await writeFile(temp, data);
    return temp;
  }

  /** A temporary path for `finalPath` that the caller writes itself (staged like add()). */
  async reserve(finalPath: string): Promise<string> {
    await mkdir(path.dirname(finalPath), { recursive: true });
    const temp = `${finalPath}.tmp-${process.pid}`;
    this.staged.push({ temp, final: finalPath });
    return temp;
  }

  async commit(): Promise<void> {
    for (const s of this.staged) await rename(s.temp, s.final);
    this.staged.length = 0;
  }

  async discard(): Promise<void> {
    await Promise.all(this.staged.map((s) => rm(s.temp, { force: true })));
    this.staged.length = 0;
  }
}
