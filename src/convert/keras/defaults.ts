import type { Preprocessing } from '../../core/manifest.js';

type PreprocessingInput = Omit<Preprocessing, 'channelOrder' | 'color'> &
  Partial<Pick<Preprocessing, 'channelOrder' | 'color'>>;

/** Keras' own preprocess_input per architecture, with load_img's default nearest resize. */
const BY_ARCHITECTURE: Record<string, PreprocessingInput> = {
  vgg16: { mode: 'caffe', resize: 'nearest', channelOrder: 'bgr' },
  vgg19: { mode: 'caffe', resize: 'nearest', channelOrder: 'bgr' },
  resnet50: { mode: 'caffe', resize: 'nearest', channelOrder: 'bgr' },
  inception_v3: { mode: 'tf', resize: 'nearest' },
  xception: { mode: 'tf', resize: 'nearest' },
};

function architectureKey(architecture: string): string {
  const a = architecture.toLowerCase().replace(/-/g, '_');
  if (a.startsWith('resnet50')) return 'resnet50';
  if (a.startsWith('inceptionv3') || a.startsWith('inception_v3')) return 'inception_v3';
  return a;
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
  const base: PreprocessingInput = BY_ARCHITECTURE[architectureKey(architecture)] ?? {
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
