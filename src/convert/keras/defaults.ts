import type { Preprocessing } from '../../core/manifest.js';
import { ARCHITECTURE_FACTS, findArchitecture } from '../architectures/options.js';

type PreprocessingInput = Omit<Preprocessing, 'channelOrder' | 'color'> &
  Partial<Pick<Preprocessing, 'channelOrder' | 'color'>>;

/**
 * Keras' own preprocess_input for a built-in architecture (any spelling: 'resnet50_v2', 'ResNet50V2';
 * a ResNet50 generation suffix such as 'resnet50-ka' is ignored), with load_img's default nearest resize.
 */
function kerasPreprocessing(architecture: string): PreprocessingInput | undefined {
  const arch = findArchitecture(architecture) ?? findArchitecture(architecture.replace(/[-_]ka$/i, ''));
  if (!arch) return undefined;
  const mode = ARCHITECTURE_FACTS[arch].preprocess;
  if (mode === 'raw') return { mode: 'scale', factor: 1, offset: 0, resize: 'nearest' };
  return mode === 'caffe' ? { mode, resize: 'nearest', channelOrder: 'bgr' } : { mode, resize: 'nearest' };
}

/**
 * Default preprocessing for a model: the architecture's Keras preprocessing when known, else
 * pixels/255 with a bilinear resize. Grayscale when the model takes one channel.
 */
export function defaultPreprocessing(
  architecture: string,
  channels: number,
  override: Partial<Preprocessing> = {},
): Preprocessing {
  const base: PreprocessingInput = kerasPreprocessing(architecture) ?? {
    mode: 'scale',
    factor: 1 / 255,
    offset: 0,
    resize: 'bilinear',
  };
  const merged = { ...base, ...override };
  const mode = merged.mode;
  const result: Preprocessing = {
    mode,
    resize: merged.resize,
    channelOrder: merged.channelOrder ?? (mode === 'caffe' ? 'bgr' : 'rgb'),
    color: merged.color ?? (channels === 1 ? 'grayscale' : 'rgb'),
  };
  if (mode === 'scale') {
    result.factor = merged.factor ?? 1 / 255;
    result.offset = merged.offset ?? 0;
  }
  return result;
}
