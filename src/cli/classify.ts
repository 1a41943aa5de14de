import { mkdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import cliProgress from 'cli-progress';
import { formatKeras, validateTop, type Prediction } from '../core/decode.js';
import type { Float32Tensor } from '../core/engine.js';
import { NetlensError, isNetlensError, messageOf } from '../core/errors.js';
import { defaultTop, postprocess, preprocess, runRows } from '../core/pipeline.js';
import { DEFAULT_MAX_PIXELS } from '../runtime/node/decode-image.js';
import { writeAnnotatedImage } from './annotate.js';
import { EXIT, describeError } from './exit-codes.js';
import { expandInputs } from './inputs.js';
import { describeLoadedModel, loadModel, type ModelOptions } from './load-model.js';

export interface ClassifyOptions extends ModelOptions {
  /** Default: 5, or the class count when the model has fewer classes. */
  top?: number;
  json?: boolean;
  annotate?: string;
  batchSize: number;
  maxPixels?: number;
  progress?: boolean;
}

interface Prepared {
  file: string;
  bytes?: Uint8Array;
  tensor?: Float32Tensor;
  error?: unknown;
}

type Result =
  | { file: string; predictions: Prediction[]; annotated?: string }
  | { file: string; error: { code: string; message: string } };

/**
 * `netlens classify <image|dir>...`: Keras-style top-k per image on stdout ("1. beagle: 94.48%"), errors
 * per file on stderr (the rest of the batch still runs), exit status 1 when any image failed.
 */
export async function runClassify(paths: readonly string[], options: ClassifyOptions): Promise<number> {
  const { files, batch } = await expandInputs(paths);
  const loaded = await loadModel(options);
  const { manifest, session } = loaded;
  const top = validateTop(options.top ?? defaultTop(manifest), manifest.output.size);
  for (const line of describeLoadedModel(loaded)) process.stderr.write(`${line}\n`);

  const annotateDir = options.annotate !== undefined && (batch || (await isDirectory(options.annotate)));
  if (annotateDir && options.annotate) await mkdir(options.annotate, { recursive: true });
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const showBar = batch && (options.progress ?? process.stderr.isTTY === true);
  const bar = showBar
    ? new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: 'classifying |{bar}| {value}/{total} images | {speed} images/s | ETA {eta}s',
          hideCursor: true,
          // --progress forces the bar even when stderr is not a terminal (CI logs).
          noTTYOutput: options.progress === true,
          notTTYSchedule: 1000,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  // Text results stream to stdout, except while a progress bar owns the same terminal.
  const holdText = bar !== undefined && process.stdout.isTTY === true;
  const held: string[] = [];
  const results: Result[] = [];
  let inferenceMs = 0;
  const usedNames = new Set<string>();
  let failures = 0;

  async function prepare(file: string): Promise<Prepared> {
    try {
      const bytes = await readInput(file);
      const decoded = await loaded.decodeImage(bytes, { maxPixels });
      const tensor = preprocess({ decoded, bytes }, manifest, loaded.kernels);
      return { file, bytes, tensor };
    } catch (error) {
      return { file, error };
    }
  }

  function emit(text: string): void {
    if (options.json) return;
    if (holdText) held.push(text);
    else process.stdout.write(text);
  }

  function fail(file: string, error: unknown): void {
    failures++;
    const code = isNetlensError(error) ? error.code : 'internal';
    results.push({ file, error: { code, message: messageOf(error) } });
    const line = `netlens: ${file}: ${describeError(error)}\n`;
    if (bar) bar.stop();
    process.stderr.write(line);
    if (bar) bar.start(files.length, results.length, { speed: speed() });
  }

  const started = performance.now();
  const speed = (): string => {
    const seconds = (performance.now() - started) / 1000;
    return seconds > 0 ? (results.length / seconds).toFixed(1) : '0';
  };
  bar?.start(files.length, 0, { speed: '0' });

  const chunks: string[][] = [];
  for (let i = 0; i < files.length; i += options.batchSize)
    chunks.push(files.slice(i, i + options.batchSize));
  // Decode the next chunk (libuv threads) while the current one runs inference.
  let next = chunks.length > 0 ? Promise.all((chunks[0] ?? []).map(prepare)) : undefined;
  for (let c = 0; c < chunks.length; c++) {
    const prepared = await (next as Promise<Prepared[]>);
    next = c + 1 < chunks.length ? Promise.all((chunks[c + 1] ?? []).map(prepare)) : undefined;
    const good = prepared.filter((p) => p.tensor !== undefined);
    let predictions: Prediction[][] = [];
    if (good.length > 0) {
      const t0 = performance.now();
      const rows = await runRows(
        session,
        good.map((p) => p.tensor as Float32Tensor),
        manifest.output.name,
      );
      predictions = rows.map((row) => postprocess(row, manifest, top));
      inferenceMs += performance.now() - t0;
    }
    let g = 0;
    for (const item of prepared) {
      if (item.tensor === undefined) {
        fail(item.file, item.error);
        bar?.update(results.length, { speed: speed() });
        continue;
      }
      const ranked = predictions[g++] as Prediction[];
      const result: { file: string; predictions: Prediction[]; annotated?: string } = {
        file: item.file,
        predictions: ranked,
      };
      if (options.annotate !== undefined && ranked[0] !== undefined && item.bytes) {
        const out = annotateDir ? join(options.annotate, uniqueName(item.file, usedNames)) : options.annotate;
        try {
          await writeAnnotatedImage(item.bytes, ranked[0], out);
          result.annotated = out;
        } catch (error) {
          fail(
            item.file,
            new NetlensError('internal', `cannot write annotated image ${out}: ${messageOf(error)}`),
          );
          continue;
        }
      }
      results.push(result);
      emit(`${item.file}\n${formatKeras(ranked)}\n\n`);
      bar?.update(results.length, { speed: speed() });
    }
  }
  const seconds = (performance.now() - started) / 1000;
  bar?.stop();
  for (const text of held) process.stdout.write(text);

  const classified = results.length - failures;
  if (options.json) {
    const doc = {
      model: manifest.name,
      provider: session.provider,
      fallbacks: session.fallbacks,
      engine: loaded.engineName,
      top,
      results,
      summary: {
        images: files.length,
        classified,
        failed: failures,
        seconds: round(seconds),
        imagesPerSecond: round(classified / seconds),
        inferenceMs: round(inferenceMs),
      },
    };
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  }
  if (batch) {
    process.stderr.write(
      `[INFO] classified ${classified} of ${files.length} images in ${seconds.toFixed(2)} s: ${(classified / seconds).toFixed(1)} images/s ` +
        `(inference ${Math.round(inferenceMs)} ms of it; batch ${options.batchSize}, ${session.provider}; 'npm run bench' times each stage)` +
        (failures > 0 ? `; ${failures} failed` : '') +
        '\n',
    );
  }
  await session.dispose();
  return failures > 0 ? EXIT.inputFailed : EXIT.ok;
}

async function readInput(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new NetlensError(
      'not_found',
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory'
          : `cannot read: ${messageOf(error)}`,
      { cause: error },
    );
  }
}

async function isDirectory(path: string): Promise<boolean> {
  if (path.endsWith('/')) return true;
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** `<name>.jpg` for an annotated copy, suffixed when two inputs share a base name. */
function uniqueName(file: string, used: Set<string>): string {
  const base = basename(file, extname(file));
  let name = `${base}.jpg`;
  for (let i = 2; used.has(name); i++) name = `${base}-${i}.jpg`;
  used.add(name);
  return name;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
