/**
 * Node only (build:worker's asset check, bench): the onnxruntime-web WASM memory a model really takes
 * when the Worker loads it — the same engine and low-memory loading, one run on zeros — measured in a
 * fresh child process, because WASM memory only grows (one process per model). isolate-budget.ts uses
 * the figure instead of its size-based estimate.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const HERE = fileURLToPath(import.meta.url);

export interface InputShape {
  height: number;
  width: number;
  channels: number;
}

/** Peak onnxruntime-web WASM memory in bytes for the model at `path` (runs a child process). */
export async function measureOrtWasmMemory(path: string, input: InputShape): Promise<number> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', HERE, path, String(input.height), String(input.width), String(input.channels)],
    { maxBuffer: 1 << 20 },
  );
  const bytes = Number(/ortWasmMemoryBytes=(\d+)/.exec(stdout)?.[1]);
  if (!Number.isFinite(bytes)) throw new Error(`measuring ${path}: no figure in the output:\n${stdout}`);
  return bytes;
}

async function measureHere(path: string, height: number, width: number, channels: number): Promise<void> {
  const ort = await import('onnxruntime-web/wasm');
  const { createWebEngine } = await import('./engine.js');
  const { compileOrtWasm } = await import('./node-wasm-modules.js');
  const { ortWasmMemoryBytes, usePrecompiledOrtWasm } = await import('./precompiled-wasm.js');
  usePrecompiledOrtWasm(ort, await compileOrtWasm());
  const session = await createWebEngine({ ort, lowMemory: true }).createSession(
    new Uint8Array(await readFile(path)),
  );
  await session.run({
    data: new Float32Array(height * width * channels),
    dims: [1, height, width, channels],
  });
  process.stdout.write(`ortWasmMemoryBytes=${ortWasmMemoryBytes() ?? 'unknown'}\n`);
  await session.dispose();
}

if (process.argv[1] === HERE) {
  const [path, h, w, c] = process.argv.slice(2);
  await measureHere(path ?? '', Number(h), Number(w), Number(c));
}
