/**
 * Child process of node-engine-webgpu.test.ts: runs the tiny model on onnxruntime-node's WebGPU
 * provider (the parent sets VK_ICD_FILENAMES to SwiftShader) and prints one JSON line.
 */
import { createNodeEngine } from '../src/runtime/node/engine.js';
import { buildTinyModel } from './node-engine-tiny-model.js';

const n = 2;
const model = buildTinyModel(8, 3);
const data = Float32Array.from({ length: n * 8 * 8 * 3 }, (_, i) => Math.cos(i * 0.11) * 0.9);
const engine = createNodeEngine({ providers: ['webgpu', 'cpu'] });
const session = await engine.createSession(model.bytes, { requireGpu: true });
const out = await session.run({ data, dims: [n, 8, 8, 3] });
process.stdout.write(
  `${JSON.stringify({
    provider: session.provider,
    fallbacks: session.fallbacks,
    placement: session.placement,
    input: Array.from(data),
    output: Array.from(out.output!.data),
    dims: out.output!.dims,
  })}\n`,
);
await session.dispose();
