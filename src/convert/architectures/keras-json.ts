/**
 * The Keras 2.x / tf.keras 2.x model JSON that `model.to_json()` writes and TensorFlow.js
 * `tf.models.modelFromJSON` reads. Only the parts the architecture builders produce are typed.
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** `[layerName, nodeIndex, tensorIndex, kwargs]`, one entry per input tensor of a call. */
export type KerasInboundRef = [string, number, number, JsonObject];

export interface KerasLayerJson {
  class_name: string;
  name: string;
  config: JsonObject;
  /** One list per call of the layer (Keras "node"); each lists the call's input tensors. */
  inbound_nodes: KerasInboundRef[][];
}

export interface KerasFunctionalConfig {
  name: string;
  layers: KerasLayerJson[];
  input_layers: [string, number, number][];
  output_layers: [string, number, number][];
}

export interface KerasModelJson {
  class_name: 'Model' | 'Functional';
  config: KerasFunctionalConfig;
  keras_version: string;
  backend: 'tensorflow';
}

/**
 * Which Keras wrote the model: standalone Keras 2.2.4 with keras-applications 1.0.x
 * (auto names start at `_1`, class_name `Model`), tf.keras 2.x (first auto name has no suffix,
 * class_name `Functional`), or Keras 3 (as tf.keras, inputs named `input_layer`; the JSON here stays in
 * the Keras 2 form, scripts/convert/keras3-json.ts writes Keras 3's).
 */
export type KerasFlavour = 'keras-2.2' | 'tf-keras-2' | 'keras-3';
