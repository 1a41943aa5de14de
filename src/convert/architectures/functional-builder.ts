import type { JsonObject, KerasFlavour, KerasLayerJson, KerasModelJson } from './keras-json.js';
import { kerasLayerOrder } from './keras-layer-order.js';

/** A symbolic tensor: the output of a layer (each layer is called once). */
export interface TensorRef {
  readonly layer: string;
}

const KERAS_VERSION: Record<KerasFlavour, string> = { 'keras-2.2': '2.2.4', 'tf-keras-2': '2.4.0' };

function snakeCase(className: string): string {
  // Keras' _to_snake_case: 'MaxPooling2D' → 'max_pooling2d', 'BatchNormalization' → 'batch_normalization'.
  const intermediate = className.replace(/(.)([A-Z][a-z0-9]+)/g, '$1_$2');
  return intermediate.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

/**
 * Builds a Keras functional model the way Python code does (`x = Conv2D(...)(x)`), naming unnamed
 * layers as the given Keras generation would in a fresh session, and serialises it as `to_json()` does.
 */
export class FunctionalBuilder {
  private readonly layers: KerasLayerJson[] = [];
  private readonly names = new Set<string>();
  private readonly counters = new Map<string, number>();

  constructor(readonly flavour: KerasFlavour) {}

  /** The name Keras gives an unnamed layer of this class (`activation_1` in Keras 2.2, `activation` first in tf.keras). */
  autoName(className: string): string {
    const prefix = className === 'InputLayer' ? 'input' : snakeCase(className);
    const count = (this.counters.get(prefix) ?? 0) + 1;
    this.counters.set(prefix, count);
    if (prefix === 'input' || this.flavour === 'keras-2.2') return `${prefix}_${count}`;
    return count === 1 ? prefix : `${prefix}_${count - 1}`;
  }

  /** Adds a layer called on `inputs`; `config(name)` builds its config once the name is known. */
  add(
    className: string,
    name: string | undefined,
    config: (name: string) => JsonObject,
    inputs: readonly TensorRef[],
  ): TensorRef {
    const layerName = name ?? this.autoName(className);
    if (this.names.has(layerName)) throw new Error(`duplicate layer name '${layerName}'`);
    this.names.add(layerName);
    this.layers.push({
      class_name: className,
      name: layerName,
      config: config(layerName),
      inbound_nodes:
        inputs.length === 0
          ? []
          : [inputs.map((t): [string, number, number, JsonObject] => [t.layer, 0, 0, {}])],
    });
    return { layer: layerName };
  }

  toJson(modelName: string, input: TensorRef, output: TensorRef): KerasModelJson {
    return {
      class_name: this.flavour === 'tf-keras-2' ? 'Functional' : 'Model',
      config: {
        name: modelName,
        layers: kerasLayerOrder(this.layers, [output.layer]),
        input_layers: [[input.layer, 0, 0]],
        output_layers: [[output.layer, 0, 0]],
      },
      keras_version: KERAS_VERSION[this.flavour],
      backend: 'tensorflow',
    };
  }
}
