/**
 * What the page shows, the same for both modes: the top-5 as labelled bars, one line saying where and on
 * which engine the model ran (and why WebGPU was not used), one timing line — and the model's card.
 */
import type { ModelDetail, Prediction } from './api.js';

/** One classification, from the server or from this browser. */
export interface Shown {
  predictions: Prediction[];
  /** Where and how it ran, in words. */
  engine: string;
  /** The provider that really ran (cpu, wasm, webgpu, …). */
  provider: string;
  /** Why not WebGPU, or another fact worth a visible note. */
  note?: string;
  /** Ordered steps; null: not measured on this runtime. */
  timings: [step: string, ms: number | null][];
  /** Said after the timings (e.g. why some are not measured). */
  timingNote?: string;
}

const el = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  className?: string,
): HTMLElementTagNameMap[K] => {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className !== undefined) node.className = className;
  return node;
};

const percent = (score: number) => `${(score * 100).toFixed(2)}%`;

export function renderPrediction(p: Prediction, meaning?: string): HTMLLIElement {
  const item = el('li', undefined, 'prediction');
  item.dataset.index = String(p.index);
  item.dataset.label = p.label;
  const label = el('span', p.label, 'label');
  label.title = meaning ? `${p.label} — ${meaning}` : `${p.label} (${p.id})`;
  const bar = el('span', undefined, 'bar');
  bar.setAttribute('aria-hidden', 'true');
  const fill = el('span');
  fill.style.width = percent(p.score);
  bar.append(fill);
  const score = el('span', percent(p.score), 'score');
  score.dataset.score = String(p.score);
  item.append(label, bar, score);
  return item;
}

export function timingText(shown: Shown): string {
  const parts = shown.timings.map(
    ([step, ms]) => `${step} ${ms === null ? 'not measured' : `${ms.toFixed(1)} ms`}`,
  );
  return `${parts.join(' · ')}${shown.timingNote ? ` — ${shown.timingNote}` : ''}`;
}

/** The card: what the model is for, what its classes mean, and the facts behind it. */
export function renderCard(root: HTMLElement, model: ModelDetail): void {
  const card = model.card;
  const nodes: HTMLElement[] = [el('h2', `About ${model.name}`)];
  nodes[0]!.id = 'card-title';
  if (card.description) nodes.push(el('p', card.description, 'lead'));
  if (card.summary) nodes.push(el('p', card.summary));
  if (card.intendedUse) {
    const use = el('div', undefined, 'callout');
    use.append(el('strong', 'Intended use. '), document.createTextNode(card.intendedUse));
    nodes.push(use);
  }
  if (card.classes) nodes.push(classList(card.classes));
  if (card.limitations) nodes.push(el('p', `Limitations: ${card.limitations}`, 'small'));
  nodes.push(facts(model));
  root.replaceChildren(...nodes);
}

function classList(classes: NonNullable<ModelDetail['card']['classes']>): HTMLElement {
  const described = classes.filter((c) => c.meaning !== undefined);
  const wrap = el('div', undefined, 'classes');
  wrap.append(el('h3', `Classes (${classes.length})`));
  if (described.length === 0) {
    const names = classes.slice(0, 12).map((c) => c.label);
    wrap.append(el('p', `${names.join(', ')}${classes.length > 12 ? ', …' : ''}`, 'small'));
    return wrap;
  }
  const list = el('dl');
  for (const c of described) list.append(el('dt', c.label), el('dd', c.meaning));
  wrap.append(list);
  return wrap;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function facts(model: ModelDetail): HTMLElement {
  const { card, files } = model;
  const p = card.provenance;
  const rows: [string, string][] = [
    ['Input', card.input],
    ['Preprocessing', card.preprocessing],
    [
      'Size',
      [
        files.model.bytes === undefined ? undefined : `${mib(files.model.bytes)} model`,
        files.features?.bytes === undefined ? undefined : `${mib(files.features.bytes)} features variant`,
        `${p.parameters.toLocaleString('en')} parameters`,
      ]
        .filter(Boolean)
        .join(', '),
    ],
    ['Converted from', `${p.source} (${p.format}${p.kerasVersion ? `, Keras ${p.kerasVersion}` : ''})`],
    ...(p.sourceSha256 ? ([['Source sha256', p.sourceSha256]] as [string, string][]) : []),
    ['Verification', p.verified],
    ['Converter', `${p.converter}, ${p.convertedAt.slice(0, 10)}`],
    ...(p.license ? ([['License', p.license]] as [string, string][]) : []),
    ...(card.origin ? ([['Origin', card.origin]] as [string, string][]) : []),
    ['Model sha256', files.model.sha256],
  ];
  const list = el('dl', undefined, 'facts');
  for (const [term, value] of rows) {
    const dd = el('dd', value);
    if (/sha256/.test(term)) dd.className = 'hash';
    list.append(el('dt', term), dd);
  }
  return list;
}
