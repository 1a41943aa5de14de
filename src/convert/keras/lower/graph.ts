import { NetlensError } from '../../../core/errors.js';
import type { KerasGraphModel, KerasLayer, TensorRef } from '../config.js';
import type { LoweringContext, Value } from './context.js';
import { lowerLayer } from './registry.js';

export interface GraphLoweringOptions {
  /** Drop the softmax of the layer producing this tensor (logits output). */
  skipSoftmaxAt?: TensorRef;
}

function key(ref: TensorRef): string {
  return `${ref.layer}\u0000${ref.node}\u0000${ref.tensor}`;
}

/**
 * Lowers the part of `model` needed for `outputs` (default: the model's outputs), with the model's
 * inputs bound to `inputs`. Demand-driven, so cut models only contain what they need and nodes are
 * emitted in topological order. Nested models recurse with their own scope.
 */
export function lowerGraph(
  ctx: LoweringContext,
  model: KerasGraphModel,
  inputs: Value[],
  outputs: TensorRef[] = model.outputs,
  options: GraphLoweringOptions = {},
): Value[] {
  const byName = new Map<string, KerasLayer>(model.layers.map((l) => [l.name, l]));
  const memo = new Map<string, Value>();
  const inProgress = new Set<string>();
  model.inputs.forEach((ref, i) => {
    const bound = inputs[i];
    if (!bound) {
      throw new NetlensError(
        'invalid_model_file',
        `${ctx.source}: model '${model.name}' input ${i} ('${ref.layer}') is not bound`,
      );
    }
    memo.set(key(ref), bound);
  });

  const evaluate = (ref: TensorRef): Value => {
    const k = key(ref);
    const done = memo.get(k);
    if (done) return done;
    const layer = byName.get(ref.layer);
    if (!layer) {
      throw new NetlensError(
        'invalid_model_file',
        `${ctx.source}: model '${model.name}' refers to layer '${ref.layer}', which is not in its layer list`,
        { details: { file: ctx.source, layer: ref.layer } },
      );
    }
    if (layer.className === 'InputLayer') {
      throw new NetlensError(
        'invalid_model_file',
        `${ctx.source}: input layer '${layer.name}' of model '${model.name}' is not one of its declared inputs`,
      );
    }
    if (inProgress.has(k)) {
      throw new NetlensError('invalid_model_file', `${ctx.source}: layer '${layer.name}' is part of a cycle`);
    }
    inProgress.add(k);
    // Keras numbers a nested model's calls from 1: its node 0 is the call made when it was built
    // (keras.engine.network get_config, tf.keras _should_skip_first_node). Writers that start at 0 exist too.
    const nodeIndex = layer.model && ref.node >= 1 ? ref.node - 1 : ref.node;
    const inbound = layer.inbound[nodeIndex];
    if (!inbound) {
      throw new NetlensError(
        'invalid_model_file',
        `${ctx.source}: layer '${layer.name}' has no call #${ref.node} (it has ${layer.inbound.length})`,
      );
    }
    const args = inbound.map(evaluate);
    let result: Value;
    if (layer.model) {
      const nestedOutputs = lowerGraph(ctx, layer.model, args);
      const picked = nestedOutputs[ref.tensor];
      if (!picked)
        throw new NetlensError(
          'invalid_model_file',
          `${ctx.source}: nested model '${layer.name}' has no output ${ref.tensor}`,
        );
      // Cache every output of this call.
      nestedOutputs.forEach((v, t) => memo.set(key({ ...ref, tensor: t }), v));
      result = picked;
    } else {
      const skip = options.skipSoftmaxAt !== undefined && key(options.skipSoftmaxAt) === k;
      result = lowerLayer(ctx, layer, args, skip, layer.callKwargs?.[nodeIndex] ?? {});
    }
    inProgress.delete(k);
    memo.set(k, result);
    return result;
  };

  return outputs.map(evaluate);
}
