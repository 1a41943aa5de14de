/**
 * The demo page: one drop zone (drop, paste or pick an image), one toggle — run the model on the server
 * (POST /v1/models/{model}/classify, the API any client uses) or in this browser (in-browser.ts) — and
 * the same result either way: the top-5 as bars, where and on which engine it ran, and how long each step
 * took. Beside it, the selected model's card and how to install more models.
 * `body[data-state]` is loading | idle | busy | done | error (tests wait on it).
 */
import type { BrowserWasmFiles } from '../../src/runtime/web/browser-wasm.js';
import {
  ApiError,
  type ModelList,
  type ModelSummary,
  classifyOnServer,
  listModels,
  modelDetail,
  setApiKey,
} from './api.js';
import { type InBrowserMode, createInBrowserMode } from './in-browser.js';
import { DownloadProgress } from './progress.js';
import { type Shown, renderCard, renderPrediction, timingText } from './render.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

const ui = {
  model: $<HTMLSelectElement>('model'),
  key: $<HTMLInputElement>('api-key'),
  modeServer: $<HTMLInputElement>('mode-server'),
  modeBrowser: $<HTMLInputElement>('mode-browser'),
  modeNote: $<HTMLElement>('mode-note'),
  drop: $<HTMLElement>('drop'),
  file: $<HTMLInputElement>('file'),
  preview: $<HTMLImageElement>('preview'),
  hint: $<HTMLElement>('drop-hint'),
  result: $<HTMLElement>('result'),
  status: $<HTMLElement>('status'),
  predictions: $<HTMLOListElement>('predictions'),
  engine: $<HTMLElement>('engine'),
  note: $<HTMLElement>('engine-note'),
  timing: $<HTMLElement>('timing'),
  card: $<HTMLElement>('card'),
};

const runtimeFiles = JSON.parse($('runtime-files').textContent ?? '{}') as BrowserWasmFiles;
const progress = new DownloadProgress(
  $('progress'),
  $<HTMLProgressElement>('download-bar'),
  $('download-label'),
);
let inBrowser: InBrowserMode | undefined;
let models: ModelList | undefined;
let meanings = new Map<string, string>();
let lastFile: File | undefined;
/** Only the latest classification may show its result (the mode or model can change mid-run). */
let latest = 0;

type State = 'loading' | 'idle' | 'busy' | 'done' | 'error';
function setState(state: State, message = ''): void {
  document.body.dataset.state = state;
  ui.status.textContent = message;
  ui.status.className = state === 'error' ? 'error' : '';
  ui.result.setAttribute('aria-busy', String(state === 'busy'));
}

const KEY_STORAGE = 'netlens.apiKey';
ui.key.value = localStorage.getItem(KEY_STORAGE) ?? '';
setApiKey(ui.key.value);
ui.key.addEventListener('change', () => {
  localStorage.setItem(KEY_STORAGE, ui.key.value);
  setApiKey(ui.key.value);
  void loadModels();
});

const selected = (): ModelSummary | undefined => models?.models.find((m) => m.name === ui.model.value);
const mode = (): 'server' | 'browser' => (ui.modeBrowser.checked ? 'browser' : 'server');

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** What the chosen mode means for this model, in one sentence. */
function describeMode(): void {
  const model = selected();
  ui.drop.dataset.mode = mode();
  if (mode() === 'server') {
    ui.modeNote.textContent = `The image is sent to this server, which runs ${model?.name ?? 'the model'} with ${models?.engine ?? 'its engine'}.`;
    progress.hide();
    return;
  }
  const runtime = Object.values(runtimeFiles).reduce((n, f) => n + (f.bytes ?? 0), 0);
  const size = model?.files.model.bytes;
  ui.modeNote.textContent =
    `The image stays on this device: onnxruntime-web runs the model here, on WebGPU when your browser has a GPU adapter, ` +
    `otherwise on WASM. First use downloads the runtime (${mib(runtime)})${size === undefined ? ' and the model' : ` and the model (${mib(size)})`}; your browser keeps them.`;
}

async function showCard(): Promise<void> {
  const model = selected();
  if (!model) return;
  const detail = await modelDetail(model.name);
  meanings = new Map((detail.card.classes ?? []).flatMap((c) => (c.meaning ? [[c.label, c.meaning]] : [])));
  renderCard(ui.card, detail);
}

async function loadModels(): Promise<void> {
  try {
    models = await listModels();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      (ui.key.closest('.field') as HTMLElement).hidden = false;
      ui.key.focus();
      return setState('error', 'This server needs an API key: type it above.');
    }
    throw error;
  }
  const current = ui.model.value;
  ui.model.replaceChildren(
    ...models.models.map((m) => {
      const option = new Option(`${m.name} — ${m.classes} classes`, m.name);
      option.selected = current ? m.name === current : m.default;
      return option;
    }),
  );
  const servesFiles = models.models.some((m) => m.files.model.url !== undefined);
  ui.modeBrowser.disabled = !servesFiles;
  if (!servesFiles) ui.modeBrowser.parentElement!.title = 'This server does not expose model files';
  describeMode();
  await showCard();
  setState('idle');
}

function serverShown(answer: Awaited<ReturnType<typeof classifyOnServer>>, roundTrip: number): Shown {
  const t = answer.results[0]!.timings;
  const shown = {
    predictions: answer.results[0]!.predictions,
    engine: `On the server: ${models?.engine ?? 'its engine'} on ${answer.provider}`,
    provider: answer.provider,
  };
  if (t.clock === 'io') {
    return {
      ...shown,
      timings: [['round trip', roundTrip]],
      timingNote:
        'decode, preprocess and inference are not measured: this server runs on Cloudflare Workers, whose clock stands still while it computes',
    };
  }
  return {
    ...shown,
    timings: [
      ['decode', t.decodeMs],
      ['preprocess', t.preprocessMs],
      ['queue', t.queueMs],
      ['inference', t.inferenceMs],
      ['total', t.totalMs],
      ['round trip', roundTrip],
    ],
  };
}

function show(shown: Shown, name: string): void {
  ui.predictions.replaceChildren(...shown.predictions.map((p) => renderPrediction(p, meanings.get(p.label))));
  ui.engine.textContent = shown.engine;
  ui.engine.dataset.provider = shown.provider;
  ui.note.hidden = shown.note === undefined;
  ui.note.textContent = shown.note ?? '';
  ui.timing.textContent = timingText(shown);
  const top = shown.predictions[0];
  setState('done', top ? `${name}: ${top.label}, ${(top.score * 100).toFixed(1)}%` : name);
}

async function classify(file: File): Promise<void> {
  const model = selected();
  if (!model) return;
  const run = ++latest;
  lastFile = file;
  URL.revokeObjectURL(ui.preview.src);
  ui.preview.src = URL.createObjectURL(file);
  ui.preview.hidden = false;
  ui.preview.alt = `the image being classified: ${file.name}`;
  if (!ui.drop.classList.contains('has-image')) {
    ui.drop.classList.add('has-image');
    ui.hint.textContent = 'Drop, paste or choose another image';
  }
  ui.predictions.replaceChildren();
  ui.engine.textContent = '';
  ui.note.hidden = true;
  ui.timing.textContent = '';
  const where = mode() === 'server' ? 'on the server' : 'in this browser';
  setState('busy', `Classifying ${file.name} ${where} with ${model.name}…`);
  if (mode() === 'server') {
    const started = performance.now();
    const answer = await classifyOnServer(model.name, file).catch(failed(run));
    if (run === latest) show(serverShown(answer, performance.now() - started), file.name);
  } else {
    inBrowser ??= createInBrowserMode(progress, runtimeFiles);
    const shown = await inBrowser.classify(file, model).catch(failed(run));
    if (run === latest) show(shown, file.name);
  }
}

/** Marks a failure of an older run as one not to show. */
const STALE = Symbol('stale run');
function failed(run: number) {
  return (error: unknown): never => {
    throw run === latest ? error : STALE;
  };
}

function take(files: FileList | null | undefined): void {
  const file = files?.[0];
  if (file) classify(file).catch(fail);
}

function fail(error: unknown): void {
  if (error === STALE) return;
  const message = error instanceof Error ? error.message : String(error);
  setState('error', mode() === 'browser' ? `In-browser classification failed: ${message}` : message);
}

ui.drop.addEventListener('click', () => ui.file.click());
ui.drop.addEventListener('keydown', (event) => {
  if (event.key !== 'Enter' && event.key !== ' ') return;
  event.preventDefault();
  ui.file.click();
});
ui.file.addEventListener('change', () => take(ui.file.files));
ui.drop.addEventListener('dragover', (event) => {
  event.preventDefault();
  ui.drop.classList.add('over');
});
ui.drop.addEventListener('dragleave', () => ui.drop.classList.remove('over'));
ui.drop.addEventListener('drop', (event) => {
  event.preventDefault();
  ui.drop.classList.remove('over');
  take(event.dataTransfer?.files);
});
document.addEventListener('paste', (event) => {
  const image = [...(event.clipboardData?.files ?? [])].find((f) => f.type.startsWith('image/'));
  if (image) classify(image).catch(fail);
});
for (const input of [ui.modeServer, ui.modeBrowser]) {
  input.addEventListener('change', () => {
    describeMode();
    if (lastFile) classify(lastFile).catch(fail);
  });
}
ui.model.addEventListener('change', () => {
  describeMode();
  showCard().catch(fail);
  if (lastFile) classify(lastFile).catch(fail);
});

setState('loading', 'Loading the models…');
loadModels().catch(fail);
