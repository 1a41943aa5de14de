/**
 * The page's view of the HTTP API (the shapes of src/app/schemas.ts it reads) and its few requests.
 * Every request carries the API key the visitor typed, when the server asks for one.
 */
export interface Prediction {
  index: number;
  id: string;
  label: string;
  score: number;
}

/** The card and file shapes are the app's own (type-only imports: nothing of src/app is bundled). */
export type { ModelCardView as ModelCard, ModelFileRef as FileRef } from '../../src/app/model-card.js';
import type { ModelCardView as ModelCard, ModelFileRef as FileRef } from '../../src/app/model-card.js';

export interface ModelSummary {
  name: string;
  architecture: string;
  default: boolean;
  classes: number;
  card: ModelCard;
  files: { model: FileRef; features?: FileRef };
}

export interface ModelList {
  default: string;
  engine: string;
  models: ModelSummary[];
}

export interface ModelDetail extends ModelSummary {
  engine: string;
}

export interface ServerTimings {
  decodeMs: number | null;
  preprocessMs: number | null;
  queueMs: number | null;
  inferenceMs: number | null;
  totalMs: number;
  clock: 'wall' | 'io';
}

export interface ClassifyAnswer {
  model: string;
  provider: string;
  results: {
    name: string;
    width: number;
    height: number;
    predictions: Prediction[];
    timings: ServerTimings;
  }[];
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

let apiKey = '';
export function setApiKey(key: string): void {
  apiKey = key;
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  return apiKey ? { ...extra, authorization: `Bearer ${apiKey}` } : extra;
}

/** fetch with the API key; what the in-browser model source uses too. */
export const apiFetch: typeof fetch = (input, init) =>
  fetch(input, { ...init, headers: { ...headers(), ...(init?.headers as Record<string, string>) } });

async function problemMessage(response: Response): Promise<string> {
  try {
    const problem = (await response.json()) as { title?: string; detail?: string };
    return `${problem.title ?? response.statusText}: ${problem.detail ?? ''}`.trim();
  } catch {
    return `${response.status} ${response.statusText}`;
  }
}

async function json<T>(response: Response): Promise<T> {
  if (!response.ok) throw new ApiError(await problemMessage(response), response.status);
  return (await response.json()) as T;
}

export async function listModels(): Promise<ModelList> {
  return json<ModelList>(await apiFetch('/v1/models'));
}

export async function modelDetail(name: string): Promise<ModelDetail> {
  return json<ModelDetail>(await apiFetch(`/v1/models/${encodeURIComponent(name)}`));
}

export async function classifyOnServer(model: string, file: Blob): Promise<ClassifyAnswer> {
  const response = await apiFetch(`/v1/models/${encodeURIComponent(model)}/classify?top=5`, {
    method: 'POST',
    headers: { 'content-type': file.type || 'application/octet-stream' },
    body: file,
  });
  return json<ClassifyAnswer>(response);
}
