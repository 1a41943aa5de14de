import { isKeras3ModelConfig } from './keras3-config.js';
import type { KerasModelSpec } from './types.js';

/**
 * Behaviours that changed between Keras versions, decided once per model from its file and version,
 * so the ONNX lowering and the TF.js reference apply the same version's semantics.
 */
export interface KerasSemantics {
  /** Keras 3 (hard_sigmoid is relu6(x + 3) / 6 instead of Keras 2's clip(0.2x + 0.5, 0, 1)). */
  keras3: boolean;
  /**
   * UpSampling2D 'bilinear' samples at half-pixel centres (tf.image.resize, TF 2 / tf.keras / Keras 3);
   * standalone Keras ≤ 2.3 on TF 1 used tf.image.resize_bilinear without them (align_corners=False).
   */
  resizeHalfPixel: boolean;
}

export function kerasSemantics(
  spec: Pick<KerasModelSpec, 'format' | 'config' | 'kerasVersion'>,
): KerasSemantics {
  const version = spec.kerasVersion ?? '';
  const keras3 = spec.format === 'keras-v3' || version.startsWith('3') || isKeras3ModelConfig(spec.config);
  return { keras3, resizeHalfPixel: keras3 || !/^2\.[0-3]\.\d+$/.test(version) };
}
