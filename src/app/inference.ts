import type { Float32Tensor } from '../core/engine.js';
import type { Variant } from '../core/model-source.js';
import { runRows } from '../core/pipeline.js';
import type { AppConfig } from './config.js';
import { Batcher, type Batched } from './batcher.js';
import type { ModelRegistry } from './registry.js';

/** One image's raw output row and the provider that computed it. */
export interface RowOutput {
  row: Float32Array;
  provider: string;
}

export interface BatchObserver {
  onBatch(model: string, variant: Variant, info: { size: number; runMs: number; failed: boolean }): void;
}

/**
 * One Batcher per (model, variant), each running its batches through the registry's session with core's
 * runRows: the [1,H,W,C] inputs of a batch run as one [N,H,W,C] call, one output row per image.
 */
export class InferenceService {
  private readonly batchers = new Map<
    string,
    { model: string; variant: Variant; batcher: Batcher<Float32Tensor, RowOutput> }
  >();

  constructor(
    private readonly registry: ModelRegistry,
    private readonly batching: AppConfig['batching'],
    private readonly observer?: BatchObserver,
  ) {}

  run(
    model: string,
    variant: Variant,
    tensors: readonly Float32Tensor[],
    signal?: AbortSignal,
  ): Promise<Batched<RowOutput>[]> {
    return this.batcher(model, variant).submit(tensors, signal);
  }

  /** Queue depth and batches in flight per (model, variant), for /metrics. */
  queues(): { model: string; variant: Variant; depth: number; inFlight: number }[] {
    return [...this.batchers.values()].map(({ model, variant, batcher }) => ({
      model,
      variant,
      depth: batcher.queueDepth,
      inFlight: batcher.inFlight,
    }));
  }

  close(reason: unknown): void {
    for (const { batcher } of this.batchers.values()) batcher.close(reason);
  }

  private batcher(model: string, variant: Variant): Batcher<Float32Tensor, RowOutput> {
    const key = `${model}\u0000${variant}`;
    let entry = this.batchers.get(key);
    if (!entry) {
      const batcher = new Batcher<Float32Tensor, RowOutput>({
        ...this.batching,
        run: (items) => this.runBatch(model, variant, items),
        onBatch: (info) => this.observer?.onBatch(model, variant, info),
      });
      entry = { model, variant, batcher };
      this.batchers.set(key, entry);
    }
    return entry.batcher;
  }

  private async runBatch(name: string, variant: Variant, items: Float32Tensor[]): Promise<RowOutput[]> {
    const model = await this.registry.acquire(name, variant);
    try {
      const rows = await runRows(model.session, items, model.outputName);
      return rows.map((row) => ({ row, provider: model.provider }));
    } finally {
      model.release();
    }
  }
}
