import * as tf from '@tensorflow/tfjs';

/**
 * Keras activations TensorFlow.js lacks or defines differently, on TF.js ops, for the verification
 * reference. TF.js camel-cases every string in a layer config, so these names have no underscores;
 * tfjs-topology.ts maps Keras' names to them.
 */
abstract class KerasActivation extends tf.serialization.Serializable {
  abstract apply(x: tf.Tensor): tf.Tensor;
  override getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}

/** keras/src/ops/nn.py hard_sigmoid (Keras 3): relu6(x + 3) / 6. */
class Keras3HardSigmoid extends KerasActivation {
  static className = 'keras3HardSigmoid';
  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.div(tf.relu6(tf.add(x, 3)), 6));
  }
}

/** keras/src/ops/nn.py hard_silu (hard_swish): x · relu6(x + 3) / 6. */
class KerasHardSilu extends KerasActivation {
  static className = 'kerasHardSilu';
  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6)));
  }
}

/** keras/src/activations/activations.py leaky_relu: negative_slope 0.2 by default. */
class KerasLeakyRelu extends KerasActivation {
  static className = 'kerasLeakyRelu';
  apply(x: tf.Tensor): tf.Tensor {
    return tf.leakyRelu(x, 0.2);
  }
}

/** keras/src/activations/activations.py exponential: exp(x). */
class KerasExponential extends KerasActivation {
  static className = 'kerasExponential';
  apply(x: tf.Tensor): tf.Tensor {
    return tf.exp(x);
  }
}

/** keras/src/backend/tensorflow/nn.py gelu(approximate=True): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
class KerasGeluTanh extends KerasActivation {
  static className = 'kerasGeluTanh';
  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
      return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
    });
  }
}

/** Keras activation name (lower case) → the TF.js activation that computes it in this model's Keras version. */
export function tfjsActivationName(name: string, keras3: boolean, approximate: boolean): string {
  switch (name) {
    case 'silu':
      return 'swish';
    case 'hard_silu':
    case 'hard_swish':
      return KerasHardSilu.className;
    case 'hard_sigmoid':
      return keras3 ? Keras3HardSigmoid.className : name;
    case 'leaky_relu':
      return KerasLeakyRelu.className;
    case 'exponential':
      return KerasExponential.className;
    case 'gelu':
      return approximate ? KerasGeluTanh.className : name;
    default:
      return name;
  }
}

export const KERAS_ACTIVATIONS = [
  Keras3HardSigmoid,
  KerasHardSilu,
  KerasLeakyRelu,
  KerasExponential,
  KerasGeluTanh,
];
