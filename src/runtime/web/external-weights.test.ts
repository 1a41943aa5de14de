import * as ortWeb from 'onnxruntime-web/wasm';
import protobuf from 'protobufjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ONNX_SCHEMA } from '../../convert/onnx/schema.js';
import {
  buildSmallCnn,
  maxAbsDiff,
  runModel,
  smallCnnInputs,
} from '../../../test/support/quantize-graphs.js';
import { createWebEngine } from './engine.js';
import { EXTERNAL_WEIGHTS_PATH, splitWeights } from './external-weights.js';
import { compileOrtWasm } from './node-wasm-modules.js';
import { usePrecompiledOrtWasm } from './precompiled-wasm.js';

/** ONNX's schema plus TensorProto's external-data fields, to read what splitWeights writes. */
function modelType(): protobuf.Type {
  const schema = JSON.parse(JSON.stringify(ONNX_SCHEMA)) as {
    nested: { onnx: { nested: { TensorProto: { fields: Record<string, unknown> } } } };
  };
  const tensor = schema.nested.onnx.nested.TensorProto.fields;
  tensor['externalData'] = { rule: 'repeated', type: 'StringStringEntryProto', id: 13 };
  tensor['dataLocation'] = { type: 'int32', id: 14 };
  return protobuf.Root.fromJSON(schema as unknown as protobuf.INamespace).lookupType('onnx.ModelProto');
}

interface TensorMessage {
  name: string;
  rawData?: Uint8Array;
  dataLocation?: number;
  externalData?: { key: string; value: string }[];
}

describe('splitWeights / the low-memory web engine', () => {
  beforeAll(async () => {
    usePrecompiledOrtWasm(ortWeb, await compileOrtWasm());
  });

  it('moves every large raw_data out as external data pointing into the original bytes', () => {
    const model = buildSmallCnn();
    const split = splitWeights(model, 1024);
    expect(split.batchDims).toEqual(['batch']);
    expect(split.graph.length).toBeLessThan(model.length - split.externalBytes + 2000);
    const type = modelType();
    const original = type.decode(model) as unknown as {
      graph: { initializer: TensorMessage[]; node: unknown[] };
    };
    const rewritten = type.decode(split.graph) as unknown as {
      graph: { initializer: TensorMessage[]; node: unknown[] };
    };
    expect(rewritten.graph.node).toEqual(original.graph.node);
    let moved = 0;
    for (const [i, t] of rewritten.graph.initializer.entries()) {
      const raw = original.graph.initializer[i]?.rawData ?? new Uint8Array();
      expect(t.name).toBe(original.graph.initializer[i]?.name);
      if (raw.length < 1024) {
        expect(t.rawData).toEqual(raw);
        expect(t.dataLocation ?? 0).toBe(0);
        continue;
      }
      const entry = Object.fromEntries((t.externalData ?? []).map((e) => [e.key, e.value]));
      expect(t.dataLocation).toBe(1);
      expect(t.rawData?.length ?? 0).toBe(0);
      expect(entry['location']).toBe(EXTERNAL_WEIGHTS_PATH);
      const offset = Number(entry['offset']);
      const length = Number(entry['length']);
      expect(model.subarray(offset, offset + length)).toEqual(raw);
      moved += length;
    }
    expect(moved).toBe(split.externalBytes);
    expect(moved).toBeGreaterThan(0);
    expect(() => splitWeights(new Uint8Array([0x3a, 0x05, 1]))).toThrow(/not a readable ONNX model/);
  });

  it('loads and computes like the usual loading (within float rounding), batches of several images included', async () => {
    const model = buildSmallCnn();
    const inputs = smallCnnInputs(3, 9);
    const batch = { data: new Float32Array(inputs.flatMap((x) => Array.from(x.data))), dims: [3, 16, 16, 3] };
    const low = await createWebEngine({ ort: ortWeb, lowMemory: true }).createSession(model);
    const usual = await createWebEngine({ ort: ortWeb }).createSession(model);
    try {
      const a = (await low.run(batch)).output;
      const b = (await usual.run(batch)).output;
      expect(a?.dims).toEqual([3, 5]);
      // Batch 1 per run and unpacked weights change the summation order, nothing else.
      expect(maxAbsDiff([a?.data ?? new Float32Array()], [b?.data ?? new Float32Array()])).toBeLessThan(1e-6);
      const reference = await runModel(model, inputs);
      expect(
        maxAbsDiff(
          [a?.data ?? new Float32Array()],
          [Float32Array.from(reference.flatMap((r) => Array.from(r)))],
        ),
      ).toBeLessThan(1e-6);
    } finally {
      await low.dispose();
      await usual.dispose();
    }
  });
});
