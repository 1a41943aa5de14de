import { NetlensError } from '../../core/errors.js';
import { findArchitecture, type ArchitectureName, type ResNet50Naming } from './options.js';
import type { WeightFileContents } from './match-weights.js';

/** What a weights-only file says about the model it belongs to. */
export interface DetectedWeights {
  includeTop: boolean;
  /** Number of classes of the classifier, when includeTop. */
  classes?: number;
  /** VGG with the top: the input size implied by fc1's kernel (7×7×512 → 224). */
  inputSize?: number;
  /** ResNet50 only. */
  resnet50Naming?: ResNet50Naming;
}

const TF_KERAS_RESNET = /^conv[1-5]_(conv|bn|block\d+_\d_(conv|bn))$/;
const KERAS_APPLICATIONS_RESNET = /^(bn_conv1|(res|bn)[2-5][a-f]_branch(1|2[abc]))$/;

function lastWeighted(file: WeightFileContents): { name: string; dims: number[] } | undefined {
  for (let i = file.layerNames.length - 1; i >= 0; i--) {
    const name = file.layerNames[i] ?? '';
    const first = file.weights.get(name)?.[0];
    if (first) return { name, dims: first.dims };
  }
  return undefined;
}

/** Classifiers written as a 1×1 Conv2D (MobileNet's conv_preds, MobileNetV3's Logits). */
const CONV_CLASSIFIERS = new Set(['conv_preds', 'Logits', 'logits']);

function classifierClasses(last: { name: string; dims: number[] }): number | undefined {
  if (last.dims.length === 2) return last.dims[1];
  const [kh, kw, , classes] = last.dims;
  if (last.dims.length === 4 && kh === 1 && kw === 1 && CONV_CLASSIFIERS.has(last.name)) return classes;
  return undefined;
}

/**
 * Reads include_top/classes from the last weighted layer (a Dense kernel is 2-D, a conv kernel 4-D, but a
 * 1×1 conv named as Keras names conv classifiers counts as one), the VGG input size from fc1, and the
 * ResNet50 naming generation from the layer names.
 */
export function detectWeights(
  arch: ArchitectureName,
  file: WeightFileContents,
  source: string,
): DetectedWeights {
  const last = lastWeighted(file);
  if (!last) {
    throw new NetlensError('invalid_model_file', `${source}: the file has no layer with weights`, {
      details: { file: source },
    });
  }
  const classes = classifierClasses(last);
  const includeTop = classes !== undefined;
  const detected: DetectedWeights = { includeTop };
  if (classes !== undefined) detected.classes = classes;
  if (includeTop && (arch === 'vgg16' || arch === 'vgg19')) {
    const fc1 = file.weights.get('fc1')?.[0];
    const cells = fc1 ? (fc1.dims[0] ?? 0) / 512 : 0;
    const side = Math.round(Math.sqrt(cells));
    if (side > 0 && side * side === cells) detected.inputSize = side * 32;
  }
  if (arch === 'resnet50') {
    const names = file.layerNames.filter((n) => (file.weights.get(n)?.length ?? 0) > 0);
    const tfKeras = names.filter((n) => TF_KERAS_RESNET.test(n)).length;
    const kerasApplications = names.filter((n) => KERAS_APPLICATIONS_RESNET.test(n)).length;
    if (tfKeras === 0 && kerasApplications === 0) {
      throw new NetlensError(
        'invalid_model_file',
        `${source}: cannot tell which ResNet50 generation wrote this file: it has neither tf.keras layer names ` +
          `('conv2_block1_1_conv') nor keras-applications ones ('res2a_branch2a'). Is it a ResNet50 weight file?`,
        { details: { file: source, valid: ['keras-applications', 'tf-keras'] } },
      );
    }
    detected.resnet50Naming = tfKeras >= kerasApplications ? 'tf-keras' : 'keras-applications';
  }
  return detected;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The built-in architecture a fine-tuned model is built on, from the name of the nested model among its
 * layers (`Sequential([EfficientNetB0(...), Dropout, Dense])` has a layer 'efficientnetb0'; Keras'
 * MobileNet names carry alpha and size, 'mobilenetv2_1.00_224'). Undefined when no single one is found.
 */
export function nestedBackbone(modelConfig: unknown): ArchitectureName | undefined {
  const config = isObject(modelConfig) ? modelConfig['config'] : undefined;
  const layers = isObject(config) && Array.isArray(config['layers']) ? config['layers'] : [];
  const found = new Set<ArchitectureName>();
  for (const layer of layers) {
    if (!isObject(layer) || !['Functional', 'Model', 'Sequential'].includes(String(layer['class_name'])))
      continue;
    const inner = layer['config'];
    const name = isObject(inner) && typeof inner['name'] === 'string' ? inner['name'] : layer['name'];
    if (typeof name !== 'string') continue;
    const arch = findArchitecture(name) ?? findArchitecture(name.replace(/_\d+\.\d+_\d+$/, ''));
    if (arch) found.add(arch);
  }
  return found.size === 1 ? [...found][0] : undefined;
}
