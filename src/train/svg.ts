import type { Evaluation } from '../core/manifest.js';
import type { EpochStats } from './head.js';

/**
 * The report's two pictures as standalone SVG text: the confusion matrix and the learning curves.
 * Written by hand (a few rectangles, lines and labels) rather than with a plotting library: the
 * charts are fixed, and a library (Vega, Plotly) would bring a browser or a large dependency.
 */

const FONT = 'font-family="DejaVu Sans, Arial, sans-serif"';

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function svg(width: number, height: number, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

function text(x: number, y: number, content: string, attributes = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attributes}>${escape(content)}</text>`;
}

/** Cells shaded by the share of the true label's images (recall on the diagonal), counts written in. */
export function confusionSvg(evaluation: Evaluation, title: string): string {
  const labels = evaluation.perClass.map((c) => c.label);
  const n = labels.length;
  const cell = Math.max(28, Math.min(56, Math.floor(560 / n)));
  const left = 20 + Math.min(160, 7 * Math.max(...labels.map((l) => l.length)));
  const top = 70;
  const bottom = top + n * cell + 20 + Math.min(160, 7 * Math.max(...labels.map((l) => l.length)));
  const body = [
    text(left, 24, title, 'font-size="16" font-weight="bold"'),
    text(
      left,
      46,
      `${evaluation.split} set, ${evaluation.images} images: accuracy ${(evaluation.accuracy * 100).toFixed(1)}%, macro F1 ${(evaluation.macroF1 * 100).toFixed(1)}% — rows: true label, columns: predicted`,
      'font-size="11" fill="#444"',
    ),
  ];
  evaluation.confusion.forEach((row, r) => {
    const total = row.reduce((a, b) => a + b, 0);
    body.push(text(left - 6, top + r * cell + cell / 2 + 4, labels[r]!, 'font-size="11" text-anchor="end"'));
    row.forEach((count, c) => {
      const share = total > 0 ? count / total : 0;
      const [x, y] = [left + c * cell, top + r * cell];
      const fill = r === c ? `rgba(31,119,180,${share.toFixed(3)})` : `rgba(214,39,40,${share.toFixed(3)})`;
      body.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}" stroke="#ccc"/>`);
      if (count > 0) {
        const color = share > 0.55 ? '#fff' : '#222';
        body.push(
          text(
            x + cell / 2,
            y + cell / 2 + 4,
            String(count),
            `font-size="11" text-anchor="middle" fill="${color}"`,
          ),
        );
      }
    });
  });
  labels.forEach((label, c) => {
    const x = left + c * cell + cell / 2 + 4;
    const y = top + n * cell + 8;
    body.push(text(x, y, label, `font-size="11" text-anchor="end" transform="rotate(-60 ${x} ${y})"`));
  });
  return svg(left + n * cell + 30, bottom, body);
}

export interface Curve {
  readonly name: string;
  readonly history: readonly EpochStats[];
  readonly bestEpoch: number;
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728'];

interface Panel {
  title: string;
  x: number;
  value: (s: EpochStats) => number | undefined;
  range: [number, number];
  format: (v: number) => string;
}

function panel(p: Panel, curves: readonly Curve[], epochs: number): string[] {
  const [width, height, top] = [360, 240, 60];
  const sx = (e: number) => p.x + ((e - 1) / Math.max(1, epochs - 1)) * width;
  const sy = (v: number) => top + height - ((v - p.range[0]) / (p.range[1] - p.range[0] || 1)) * height;
  const out = [
    text(p.x, top - 12, p.title, 'font-size="13" font-weight="bold"'),
    `<rect x="${p.x}" y="${top}" width="${width}" height="${height}" fill="none" stroke="#999"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = p.range[0] + ((p.range[1] - p.range[0]) * i) / 4;
    out.push(`<line x1="${p.x}" x2="${p.x + width}" y1="${sy(v)}" y2="${sy(v)}" stroke="#eee"/>`);
    out.push(text(p.x - 4, sy(v) + 4, p.format(v), 'font-size="10" text-anchor="end" fill="#444"'));
  }
  out.push(text(p.x + width / 2, top + height + 28, 'epoch', 'font-size="11" text-anchor="middle"'));
  for (const e of [1, Math.ceil(epochs / 2), epochs]) {
    out.push(text(sx(e), top + height + 14, String(e), 'font-size="10" text-anchor="middle" fill="#444"'));
  }
  curves.forEach((curve, i) => {
    const color = COLORS[i % COLORS.length]!;
    for (const [key, dash] of [
      ['train', ''],
      ['val', ' stroke-dasharray="5 3"'],
    ] as const) {
      const points = curve.history.flatMap((s) => {
        const v =
          key === 'train'
            ? p.value(s)
            : p.value({ ...s, loss: s.valLoss ?? NaN, accuracy: s.valAccuracy ?? NaN });
        return v === undefined || Number.isNaN(v) ? [] : [`${sx(s.epoch).toFixed(1)},${sy(v).toFixed(1)}`];
      });
      if (points.length > 0) {
        out.push(
          `<polyline points="${points.join(' ')}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`,
        );
      }
    }
    out.push(
      `<line x1="${sx(curve.bestEpoch)}" x2="${sx(curve.bestEpoch)}" y1="${top}" y2="${top + height}" stroke="${color}" stroke-width="1" stroke-dasharray="1 3"/>`,
    );
  });
  return out;
}

/** Loss and accuracy per epoch, training (solid) and validation (dashed), one colour per model. */
export function curvesSvg(curves: readonly Curve[], title: string): string {
  const epochs = Math.max(2, ...curves.map((c) => c.history.length));
  const losses = curves.flatMap((c) => c.history.flatMap((s) => [s.loss, s.valLoss ?? s.loss]));
  const lossRange: [number, number] = [0, Math.max(0.1, ...losses.filter(Number.isFinite)) * 1.05];
  const body = [
    text(60, 24, title, 'font-size="16" font-weight="bold"'),
    ...panel(
      {
        title: 'loss (cross-entropy)',
        x: 60,
        value: (s) => s.loss,
        range: lossRange,
        format: (v) => v.toFixed(2),
      },
      curves,
      epochs,
    ),
    ...panel(
      {
        title: 'accuracy',
        x: 500,
        value: (s) => s.accuracy,
        range: [0, 1],
        format: (v) => `${Math.round(v * 100)}%`,
      },
      curves,
      epochs,
    ),
  ];
  curves.forEach((curve, i) => {
    const y = 350 + i * 18;
    const color = COLORS[i % COLORS.length]!;
    body.push(`<line x1="60" x2="90" y1="${y - 4}" y2="${y - 4}" stroke="${color}" stroke-width="2"/>`);
    body.push(
      text(
        96,
        y,
        `${curve.name}: training (solid), validation (dashed); dotted line: kept epoch ${curve.bestEpoch}`,
        'font-size="11"',
      ),
    );
  });
  return svg(900, 360 + curves.length * 18, body);
}
