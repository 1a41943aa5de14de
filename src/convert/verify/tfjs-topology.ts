import { normaliseModelConfig } from '../keras/keras3-config.js';
import { activationOf } from '../keras/lower/activations.js';
import type { KerasSemantics } from '../keras/semantics.js';
import { tfjsActivationName } from './tfjs-keras-activations.js';
import {
  KerasConv2DTranspose,
  KerasELU,
  KerasPReLU,
  KerasReLU,
  KerasUpSampling2DHalfPixel,
  registerKerasLayers,
} from './tfjs-keras-layers.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const MODEL_CLASSES = new Set(['Functional', 'Model', 'Sequential']);

/** Points a layer TF.js would build with other semantics (or not at all) at a layer of tfjs-keras-layers.ts. */
function rewriteLayer(layer: Record<string, unknown>, semantics: KerasSemantics): void {
  const className = layer['class_name'];
  const config = layer['config'];
  if (typeof className !== 'string' || !isRecord(config)) return;
  if ('activation' in config) {
    const activation = activationOf(config['activation']);
    config['activation'] = tfjsActivationName(
      activation.name.toLowerCase(),
      semantics.keras3,
      activation.approximate === true,
    );
  }
  if (
    (className === 'GlobalAveragePooling2D' || className === 'GlobalMaxPooling2D') &&
    config['keepdims'] === true
  ) {
    layer['class_name'] = 'NetlensGlobalPooling2DKeepdims';
    config['reduce'] = className === 'GlobalMaxPooling2D' ? 'max' : 'avg';
    delete config['keepdims'];
  }
  if (className === 'TFOpLambda') moveOperandsToConfig(layer, config);
  if (className === 'PReLU') layer['class_name'] = KerasPReLU.className;
  if (className === 'UpSampling2D' && typeof config['size'] === 'number')
    config['size'] = [config['size'], config['size']];
  if (className === 'UpSampling2D' && config['interpolation'] === 'bilinear' && semantics.resizeHalfPixel) {
    layer['class_name'] = KerasUpSampling2DHalfPixel.className;
  }
  if (className === 'Conv2DTranspose' && config['output_padding'] != null) {
    layer['class_name'] = KerasConv2DTranspose.className;
  }
  if (className === 'ELU' && Number(config['alpha'] ?? 1) !== 1) layer['class_name'] = KerasELU.className;
  if (
    className === 'ReLU' &&
    (Number(config['threshold'] ?? 0) !== 0 || Number(config['negative_slope'] ?? 0) !== 0)
  ) {
    layer['class_name'] = KerasReLU.className;
  }
}

/**
 * TF.js hands a layer its call keywords only while building the graph, not when predicting: a
 * TFOpLambda's constant operands (`y: 3.0` in its call) move into its config, where KerasTfOpLambda reads them.
 */
function moveOperandsToConfig(layer: Record<string, unknown>, config: Record<string, unknown>): void {
  const nodes = Array.isArray(layer['inbound_nodes']) ? (layer['inbound_nodes'] as unknown[]) : [];
  const operands: Record<string, unknown> = {};
  const isConstant = (v: unknown): boolean => typeof v === 'number' || Array.isArray(v);
  layer['inbound_nodes'] = nodes.map((node) =>
    Array.isArray(node)
      ? node.map((ref: unknown) => {
          if (!Array.isArray(ref)) return ref;
          const kwargs = isRecord(ref[3]) ? ref[3] : {};
          for (const role of ['x', 'y']) if (isConstant(kwargs[role])) operands[role] = kwargs[role];
          return [ref[0], ref[1], ref[2], {}];
        })
      : node,
  );
  config['operands'] = operands;
}

/** Initialisers set to Zeros (the weights are replaced anyway), regularisers and constraints dropped. */
function stripTraining(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripTraining);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.endsWith('_initializer')) out[k] = { class_name: 'Zeros', config: {} };
    else if (k.endsWith('_regularizer') || k.endsWith('_constraint')) out[k] = null;
    else out[k] = stripTraining(v);
  }
  return out;
}

function rewriteModel(model: unknown, semantics: KerasSemantics): void {
  if (!isRecord(model)) return;
  const config = model['config'];
  const layers = Array.isArray(config) ? config : isRecord(config) ? config['layers'] : undefined;
  if (!Array.isArray(layers)) return;
  for (const layer of layers) {
    if (!isRecord(layer)) continue;
    if (MODEL_CLASSES.has(String(layer['class_name']))) rewriteModel(layer, semantics);
    else rewriteLayer(layer, semantics);
  }
}

/**
 * The model JSON TF.js reads: the Keras 2 form (Keras 3 configs rewritten), training-only parts
 * dropped, and layers TF.js lacks or implements differently pointed at the Keras-exact layers of
 * tfjs-keras-layers.ts (registered here).
 */
export function tfjsTopology(config: unknown, semantics: KerasSemantics): unknown {
  registerKerasLayers();
  const topology = stripTraining(normaliseModelConfig(config));
  rewriteModel(topology, semantics);
  return topology;
}
