import { describe, expect, it } from 'vitest';
import { evaluate } from './metrics.js';
import { confusionSvg, curvesSvg } from './svg.js';

/** Attributes of every element named `tag`, as records. */
function elements(svg: string, tag: string): Record<string, string>[] {
  return [...svg.matchAll(new RegExp(`<${tag} ([^>]*?)/?>`, 'g'))].map((m) =>
    Object.fromEntries([...m[1]!.matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!])),
  );
}

describe('confusionSvg', () => {
  // True 0: predicted 0, 0, 0, 1; true 1: predicted 1; true 2 ("<c&d>"): predicted 0.
  const probabilities = Float32Array.from([1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0]);
  const evaluation = evaluate(
    probabilities,
    Int32Array.from([0, 0, 0, 0, 1, 2]),
    ['a', 'b', '<c&d>'],
    'test',
  );
  const svg = confusionSvg(evaluation, 'backbone head');

  it('draws one cell per (true, predicted) pair, shaded by the share of the true label', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    const cells = elements(svg, 'rect').filter((r) => r.stroke === '#ccc');
    expect(cells).toHaveLength(9);
    // Row-major: the diagonal in blue, the rest in red, opacity = count / row total.
    expect(cells.map((c) => c.fill)).toEqual([
      'rgba(31,119,180,0.750)',
      'rgba(214,39,40,0.250)',
      'rgba(214,39,40,0.000)',
      'rgba(214,39,40,0.000)',
      'rgba(31,119,180,1.000)',
      'rgba(214,39,40,0.000)',
      'rgba(214,39,40,1.000)',
      'rgba(214,39,40,0.000)',
      'rgba(31,119,180,0.000)',
    ]);
  });

  it('writes the non-zero counts, the accuracy, and the labels escaped', () => {
    const texts = [...svg.matchAll(/<text [^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(texts.filter((t) => /^\d+$/.test(t!))).toEqual(['3', '1', '1', '1']);
    expect(texts).toContain('backbone head');
    expect(texts.some((t) => t!.startsWith('test set, 6 images: accuracy 66.7%'))).toBe(true);
    expect(texts.filter((t) => t === '&lt;c&amp;d&gt;')).toHaveLength(2); // row and column
    expect(svg).not.toContain('<c&d>');
  });
});

describe('curvesSvg', () => {
  const history = [0.9, 0.6, 0.5, 0.55].map((loss, i) => ({
    epoch: i + 1,
    loss,
    accuracy: 0.5 + i / 10,
    valLoss: loss + 0.1,
    valAccuracy: 0.4 + i / 10,
  }));
  const svg = curvesSvg(
    [
      { name: 'backbone head', history, bestEpoch: 3 },
      { name: 'raw-pixel baseline', history: history.slice(0, 2), bestEpoch: 2 },
    ],
    'learning curves',
  );

  it('draws training and validation loss and accuracy per model, one point per epoch', () => {
    const lines = elements(svg, 'polyline');
    // Two panels (loss, accuracy) × two models × (training, validation).
    expect(lines).toHaveLength(8);
    expect(lines.map((l) => l.points!.split(' ').length)).toEqual([4, 4, 2, 2, 4, 4, 2, 2]);
    expect(lines.filter((l) => l['stroke-dasharray'] === '5 3')).toHaveLength(4);
  });

  it('draws a lower loss lower down (values grow upwards), and marks the kept epoch', () => {
    const [trainLoss] = elements(svg, 'polyline');
    const ys = trainLoss!.points!.split(' ').map((p) => Number(p.split(',')[1]));
    // Losses 0.9, 0.6, 0.5, 0.55; SVG's y grows downwards.
    expect(ys[0]).toBeLessThan(ys[1]!);
    expect(ys[1]).toBeLessThan(ys[2]!);
    expect(ys[3]).toBeLessThan(ys[2]!);
    expect(svg).toContain('backbone head: training (solid), validation (dashed); dotted line: kept epoch 3');
    expect(svg).toContain(
      'raw-pixel baseline: training (solid), validation (dashed); dotted line: kept epoch 2',
    );
  });
});
