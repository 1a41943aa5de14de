import { describe, expect, it } from 'vitest';
import { nestedBackbone } from './detect.js';

const model = (...names: string[]) => ({
  class_name: 'Sequential',
  config: {
    name: 'sequential',
    layers: [
      ...names.map((name) => ({ class_name: 'Functional', config: { name, layers: [] } })),
      { class_name: 'Dense', config: { name: 'dense' } },
    ],
  },
});

describe('nestedBackbone', () => {
  it("finds the keras.applications backbone of a fine-tuned model by the nested model's name", () => {
    expect(nestedBackbone(model('efficientnetb0'))).toBe('efficientnet_b0');
    expect(nestedBackbone(model('MobilenetV3small'))).toBe('mobilenet_v3_small');
    expect(nestedBackbone(model('MobileNetV3Small'))).toBe('mobilenet_v3_small');
    expect(nestedBackbone(model('mobilenetv2_1.00_224'))).toBe('mobilenet_v2');
    expect(nestedBackbone(model('resnet50v2'))).toBe('resnet50_v2');
  });

  it('gives none for unknown or ambiguous backbones and for plain models', () => {
    expect(nestedBackbone(model('my_backbone'))).toBeUndefined();
    expect(nestedBackbone(model('resnet50', 'vgg16'))).toBeUndefined();
    expect(nestedBackbone(model())).toBeUndefined();
    expect(nestedBackbone({ class_name: 'Functional' })).toBeUndefined();
  });
});
