/**
 * The demo page: pick or drop an image, choose a model, see the top-5 as bars with scores and the time
 * taken. Talks to the same HTTP API as any client (POST /v1/models/{model}/classify with the raw bytes).
 * The "classify in this browser" mode lives in in-browser.ts (owned by the edge/browser work).
 */
import { mountInBrowserMode } from './in-browser.js';

interface Prediction {
  index: number;
  id: string;
  label: string;
  score: number;
}

interface ClassifyAnswer {
  model: string;
  provider: string;
  results: {
    name: string;
    width: number;
    height: number;
    predictions: Prediction[];
    timings: Record<string, number>;
  }[];
}

interface Problem {
  title?: string;
  detail?: string;
  status?: number;
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

const modelSelect = $<HTMLSelectElement>('model');
const keyInput = $<HTMLInputElement>('api-key');
const drop = $<HTMLElement>('drop');
const fileInput = $<HTMLInputElement>('file');
const preview = $<HTMLImageElement>('preview');
const hint = $<HTMLElement>('hint');
const status = $<HTMLElement>('status');
const list = $<HTMLOListElement>('predictions');
const timing = $<HTMLElement>('timing');

const KEY_STORAGE = 'netlens.apiKey';
keyInput.value = localStorage.getItem(KEY_STORAGE) ?? '';
keyInput.addEventListener('change', () => {
  localStorage.setItem(KEY_STORAGE, keyInput.value);
  void loadModels();
});

function headers(extra: Record<string, string> = {}): Record<string, string> {
  return keyInput.value ? { ...extra, authorization: `Bearer ${keyInput.value}` } : extra;
}

function showError(message: string): void {
  status.textContent = message;
  status.className = 'error';
  document.body.dataset.state = 'error';
}

async function problemMessage(response: Response): Promise<string> {
  try {
    const problem = (await response.json()) as Problem;
    return `${problem.title ?? response.statusText}: ${problem.detail ?? ''}`.trim();
  } catch {
    return `${response.status} ${response.statusText}`;
  }
}

async function loadModels(): Promise<void> {
  const response = await fetch('/v1/models', { headers: headers() });
  if (response.status === 401) {
    (keyInput.parentElement as HTMLElement).hidden = false;
    showError('This server needs an API key.');
    return;
  }
  if (!response.ok) return showError(await problemMessage(response));
  const body = (await response.json()) as {
    default: string;
    models: { name: string; architecture: string; description?: string; classes: number }[];
  };
  modelSelect.replaceChildren(
    ...body.models.map((m) => {
      const option = new Option(`${m.name} (${m.classes} classes)`, m.name);
      option.title = m.description ?? m.architecture;
      option.selected = m.name === body.default;
      return option;
    }),
  );
  status.textContent = '';
  status.className = '';
  document.body.dataset.state = 'idle';
}

async function classify(file: File): Promise<void> {
  preview.src = URL.createObjectURL(file);
  preview.hidden = false;
  hint.hidden = true;
  list.replaceChildren();
  timing.textContent = '';
  status.textContent = `Classifying ${file.name}…`;
  status.className = '';
  document.body.dataset.state = 'busy';
  const started = performance.now();
  const response = await fetch(`/v1/models/${encodeURIComponent(modelSelect.value)}/classify?top=5`, {
    method: 'POST',
    headers: headers({ 'content-type': file.type || 'application/octet-stream' }),
    body: file,
  });
  const roundTrip = performance.now() - started;
  if (!response.ok) return showError(await problemMessage(response));
  const answer = (await response.json()) as ClassifyAnswer;
  const result = answer.results[0]!;
  list.replaceChildren(...result.predictions.map(renderPrediction));
  const t = result.timings;
  timing.textContent =
    `${answer.model} on ${answer.provider}: ${fmt(t.totalMs)} ms on the server ` +
    `(decode ${fmt(t.decodeMs)}, preprocess ${fmt(t.preprocessMs)}, queue ${fmt(t.queueMs)}, inference ${fmt(t.inferenceMs)}), ` +
    `${fmt(roundTrip)} ms round trip; ${result.width}×${result.height}`;
  status.textContent = result.name === 'image' ? file.name : result.name;
  document.body.dataset.state = 'done';
}

function renderPrediction(p: Prediction): HTMLLIElement {
  const item = document.createElement('li');
  item.className = 'prediction';
  item.dataset.index = String(p.index);
  const label = document.createElement('span');
  label.className = 'label';
  label.textContent = p.label;
  label.title = `${p.label} (${p.id})`;
  const bar = document.createElement('span');
  bar.className = 'bar';
  const fill = document.createElement('span');
  fill.style.width = `${(p.score * 100).toFixed(2)}%`;
  bar.append(fill);
  const score = document.createElement('span');
  score.className = 'score';
  score.textContent = `${(p.score * 100).toFixed(2)}%`;
  score.dataset.score = String(p.score);
  item.append(label, bar, score);
  return item;
}

function fmt(ms: number | undefined): string {
  return ms === undefined ? '?' : ms.toFixed(1);
}

function take(files: FileList | null | undefined): void {
  const file = files?.[0];
  if (file) classify(file).catch((error: unknown) => showError(String(error)));
}

drop.addEventListener('click', () => fileInput.click());
drop.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' || event.key === ' ') fileInput.click();
});
fileInput.addEventListener('change', () => take(fileInput.files));
drop.addEventListener('dragover', (event) => {
  event.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (event) => {
  event.preventDefault();
  drop.classList.remove('over');
  take(event.dataTransfer?.files);
});

loadModels().catch((error: unknown) => showError(String(error)));
mountInBrowserMode($('in-browser'));
