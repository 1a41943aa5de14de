/**
 * Child process of quantize-fp16-webgpu.test.ts: runs the small CNN's float16 variant on onnxruntime-node's
 * WebGPU provider (the parent sets VK_ICD_FILENAMES to SwiftShader) and prints one JSON line: the output,
 * or the typed error when the adapter cannot run float16.
 */
import { isNetlensError } from '../src/core/errors.js';
import { createNodeEngine } from '../src/runtime/node/engine.js';
import { convertToFloat16 } from '../src/quantize/fp16.js';
import { foldForQuantization } from '../src/quantize/fold.js';
import { readOnnxModel } from '../src/quantize/read-onnx.js';
import { writeOnnxModel } from '../src/quantize/write-onnx.js';
import { buildSmallCnn, smallCnnInputs } from './support/quantize-graphs.js';

const graph = readOnnxModel(buildSmallCnn());
foldForQuantization(graph);
const model = writeOnnxModel(convertToFloat16(graph).graph);
const input = smallCnnInputs(1, 21)[0]!;
const engine = createNodeEngine({ providers: ['webgpu', 'cpu'] });
try {
  const session = await engine.createSession(model, { requireGpu: true });
  const out = await session.run(input);
  process.stdout.write(
    `${JSON.stringify({ provider: session.provider, output: Array.from(out.output!.data) })}\n`,
  );
  await session.dispose();
} catch (error) {
  if (!isNetlensError(error)) throw error;
  process.stdout.write(`${JSON.stringify({ error: { code: error.code, message: error.message } })}\n`);
}
