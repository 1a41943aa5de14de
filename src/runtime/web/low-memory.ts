import { EXTERNAL_WEIGHTS_PATH, splitWeights } from './external-weights.js';

/**
 * How a Worker loads a model within its isolate's memory (measured in isolate-budget.ts): onnxruntime-web
 * reads the weights as external data from the model's own bytes (one copy in WASM memory instead of the
 * file, its parsed protobuf and the tensors at once), the batch dimension is fixed at 1 (the memory
 * planner then sizes activations exactly) and weight prepacking is off (a second, packed copy of every
 * weight; 5–9% more CPU per image without it, measured on nsfw-inception-v3-int8). Measured peak ORT
 * WASM memory: nsfw-inception-v3-int8 76.5 → 48.0 MiB, nsfw-mobilenet-v2 48.0 → 40.0 MiB.
 */
export function lowMemoryModel(model: Uint8Array): {
  model: Uint8Array;
  sessionOptions: {
    externalData: { path: string; data: Uint8Array }[];
    freeDimensionOverrides: Record<string, number>;
    extra: { session: { disable_prepacking: string } };
  };
} {
  const split = splitWeights(model);
  return {
    model: split.graph,
    sessionOptions: {
      externalData: [{ path: EXTERNAL_WEIGHTS_PATH, data: model }],
      freeDimensionOverrides: Object.fromEntries(split.batchDims.map((d) => [d, 1])),
      extra: { session: { disable_prepacking: '1' } },
    },
  };
}
