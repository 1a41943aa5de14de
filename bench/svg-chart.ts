/**
 * Two small SVG charts for bench/RESULTS.md, written by hand (a chart library would pull a DOM or a
 * canvas into the benches for two pictures): horizontal bars (images/s per stage) and lines over
 * categories (images/s per client count) with dashed reference levels.
 */
const FONT = 'font-family="DejaVu Sans, Arial, sans-serif" font-size="12"';
const COLOURS = ['#2f6fb0', '#d9822b', '#3d9a50', '#b3404a', '#7b5ea7', '#8c6d31'];

const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));

/** A round axis maximum a little above `max` (1, 2 or 5 × a power of ten, times a small integer). */
function niceMax(max: number): number {
  const step = 10 ** Math.floor(Math.log10(Math.max(max, 1e-9)));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * step >= max * 1.05) return m * step;
  return 10 * step;
}

export interface Bar {
  label: string;
  value: number;
  /** Bars of one group share a colour. */
  group?: number;
  /** Text after the value, e.g. "(CPU 3.1 ms)". */
  note?: string;
}

export function barChart(title: string, unit: string, bars: readonly Bar[]): string {
  // Room for the longest label at ~6.5 px a character (12 px sans-serif), at least the old 300.
  const left = Math.max(300, Math.ceil(12 + 6.5 * Math.max(...bars.map((b) => b.label.length))));
  const width = left + 520;
  const barH = 18;
  const gap = 8;
  const top = 40;
  const plotW = width - left - 150;
  const height = top + bars.length * (barH + gap) + 30;
  const max = niceMax(Math.max(...bars.map((b) => b.value)));
  const x = (v: number) => left + (v / max) * plotW;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  for (let t = 0; t <= 4; t++) {
    const v = (max * t) / 4;
    parts.push(
      `<line x1="${x(v)}" y1="${top - 6}" x2="${x(v)}" y2="${height - 24}" stroke="#ddd"/>`,
      `<text x="${x(v)}" y="${height - 8}" text-anchor="middle" fill="#555">${fmt(v)}</text>`,
    );
  }
  parts.push(`<text x="${left + plotW}" y="${top - 12}" text-anchor="end" fill="#555">${esc(unit)}</text>`);
  bars.forEach((b, i) => {
    const y = top + i * (barH + gap);
    parts.push(
      `<text x="${left - 8}" y="${y + barH - 5}" text-anchor="end">${esc(b.label)}</text>`,
      `<rect x="${left}" y="${y}" width="${Math.max(1, x(b.value) - left)}" height="${barH}" fill="${COLOURS[(b.group ?? 0) % COLOURS.length]}"/>`,
      `<text x="${x(b.value) + 5}" y="${y + barH - 5}">${fmt(b.value)}${b.note ? ` ${esc(b.note)}` : ''}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

export interface Series {
  name: string;
  values: readonly number[];
}

export function lineChart(
  title: string,
  unit: string,
  xTitle: string,
  categories: readonly string[],
  series: readonly Series[],
  levels: readonly { name: string; value: number }[] = [],
): string {
  const width = 820;
  const height = 380;
  const left = 60;
  const right = 230;
  const top = 40;
  const bottom = 50;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const max = niceMax(Math.max(...series.flatMap((s) => s.values), ...levels.map((l) => l.value)));
  const x = (i: number) =>
    left + (categories.length === 1 ? plotW / 2 : (i / (categories.length - 1)) * plotW);
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`,
    `<text x="${left}" y="${top - 10}" fill="#555">${esc(unit)}</text>`,
    `<text x="${left + plotW / 2}" y="${height - 10}" text-anchor="middle" fill="#555">${esc(xTitle)}</text>`,
  ];
  for (let t = 0; t <= 5; t++) {
    const v = (max * t) / 5;
    parts.push(
      `<line x1="${left}" y1="${y(v)}" x2="${left + plotW}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" fill="#555">${fmt(v)}</text>`,
    );
  }
  categories.forEach((c, i) =>
    parts.push(`<text x="${x(i)}" y="${top + plotH + 18}" text-anchor="middle">${esc(c)}</text>`),
  );
  let legendY = top + 10;
  const legend = (colour: string, name: string, dashed: boolean) => {
    parts.push(
      `<line x1="${left + plotW + 15}" y1="${legendY - 4}" x2="${left + plotW + 40}" y2="${legendY - 4}" stroke="${colour}" stroke-width="2"${dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<text x="${left + plotW + 46}" y="${legendY}">${esc(name)}</text>`,
    );
    legendY += 20;
  };
  levels.forEach((l, i) => {
    const colour = ['#777', '#b3404a', '#3d9a50'][i % 3]!;
    parts.push(
      `<line x1="${left}" y1="${y(l.value)}" x2="${left + plotW}" y2="${y(l.value)}" stroke="${colour}" stroke-width="1.5" stroke-dasharray="6 4"/>`,
    );
    legend(colour, `${l.name} (${fmt(l.value)})`, true);
  });
  series.forEach((s, k) => {
    const colour = COLOURS[k % COLOURS.length]!;
    const points = s.values.map((v, i) => `${x(i)},${y(v)}`).join(' ');
    parts.push(`<polyline points="${points}" fill="none" stroke="${colour}" stroke-width="2.5"/>`);
    s.values.forEach((v, i) =>
      parts.push(
        `<circle cx="${x(i)}" cy="${y(v)}" r="3.5" fill="${colour}"/>`,
        `<text x="${x(i)}" y="${y(v) - 8}" text-anchor="middle" fill="${colour}">${fmt(v)}</text>`,
      ),
    );
    legend(colour, s.name, false);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
