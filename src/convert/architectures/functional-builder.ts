import type { JsonObject, KerasFlavour, KerasLayerJson, KerasModelJson } from './keras-json.js';
import { kerasLayerOrder } from './keras-layer-order.js';
import { inferLayer, type Shape } from './weight-specs.js';

/** A symbolic tensor: the output of a layer (each layer is called once) and its shape without the batch. */
export interface TensorRef {
  readonly layer: string;
  readonly shape: Shape;
}

export interface AddOptions {
  /** Prefix of the automatic name when it is not the snake-cased class (tf.keras' `tf.math.multiply`). */
  autoPrefix?: string;
  /**
   * A layer with no counterpart in Keras' model, standing in for part of a Lambda (InceptionResNetV2's
   * `x + scale·r` becomes Rescaling + Add). It is ordered as if it were part of the layer it feeds and is
   * left out of the weight file's layer list.
   */
  standIn?: boolean;
  /** Call keywords stored with the call's inputs (tf.keras' TFOpLambda: `{ y: 3.0, name: null }`). */
  kwargs?: JsonObject;
}

/** A model as `to_json()` writes it, and the layers that only stand in for part of a Keras layer. */
export interface BuiltModel {
  model: KerasModelJson;
  standIns: string[];
}

const KERAS_VERSION: Record<KerasFlavour, string> = {
  'keras-2.2': '2.2.4',
  'tf-keras-2': '2.4.0',
  'keras-3': '3.11.3',
};

function snakeCase(className: string): string {
  // Keras' _to_snake_case: 'MaxPooling2D' → 'max_pooling2d', 'BatchNormalization' → 'batch_normalization'.
  const intermediate = className.replace(/(.)([A-Z][a-z0-9]+)/g, '$1_$2');
  return intermediate.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

/**
 * Builds a Keras functional model the way Python code does (`x = Conv2D(...)(x)`), naming unnamed
 * layers as the given Keras generation would in a fresh session, inferring each output shape as it goes
 * (architectures read them, as Keras code reads `backend.int_shape(x)`), and serialises it as
 * `to_json()` does.
 */
export class FunctionalBuilder {
  private readonly layers: KerasLayerJson[] = [];
  private readonly names = new Set<string>();
  private readonly counters = new Map<string, number>();
  private readonly standIns = new Set<string>();

  constructor(readonly flavour: KerasFlavour) {}

  /**
   * The name Keras gives an unnamed layer of this class: `activation_1` first in Keras 2.2, `activation`
   * in tf.keras and Keras 3; inputs `input_1` (Keras 2) or `input_layer` (Keras 3).
   */
  autoName(className: string, prefix = this.defaultPrefix(className)): string {
    const count = (this.counters.get(prefix) ?? 0) + 1;
    this.counters.set(prefix, count);
    if (prefix === 'input' || this.flavour === 'keras-2.2') return `${prefix}_${count}`;
    return count === 1 ? prefix : `${prefix}_${count - 1}`;
  }

  private defaultPrefix(className: string): string {
    if (className !== 'InputLayer') return snakeCase(className);
    return this.flavour === 'keras-3' ? 'input_layer' : 'input';
  }

  /** Adds a layer called on `inputs`; `config(name)` builds its config once the name is known. */
  add(
    className: string,
    name: string | undefined,
    config: (name: string) => JsonObject,
    inputs: readonly TensorRef[],
    options: AddOptions = {},
  ): TensorRef {
    const layerName = name ?? this.autoName(className, options.autoPrefix);
    if (this.names.has(layerName)) throw new Error(`duplicate layer name '${layerName}'`);
    this.names.add(layerName);
    if (options.standIn) this.standIns.add(layerName);
    const layer: KerasLayerJson = {
      class_name: className,
      name: layerName,
      config: config(layerName),
      inbound_nodes:
        inputs.length === 0
          ? []
          : [inputs.map((t): [string, number, number, JsonObject] => [t.layer, 0, 0, { ...options.kwargs }])],
    };
    this.layers.push(layer);
    return {
      layer: layerName,
      shape: inferLayer(
        layer,
        inputs.map((t) => t.shape),
      ).shape,
    };
  }

  toJson(modelName: string, input: TensorRef, output: TensorRef): BuiltModel {
    const model: KerasModelJson = {
      class_name: this.flavour === 'keras-2.2' ? 'Model' : 'Functional',
      config: {
        name: modelName,
        layers: kerasLayerOrder(this.layers, [output.layer], this.standIns),
        input_layers: [[input.layer, 0, 0]],
        output_layers: [[output.layer, 0, 0]],
      },
      keras_version: KERAS_VERSION[this.flavour],
      backend: 'tensorflow',
    };
    return { model, standIns: [...this.standIns] };
  }
}
