import {
  SPEED_REWRITES,
  type RewriteMode,
  type SpeedRewrite,
  type SpeedRewriteRecord,
} from '../core/manifest.js';
import type { Measured } from './fallback.js';
import { foldForQuantization, type FoldOptions } from './fold.js';
import { cloneGraph, type Graph } from './graph.js';

/**
 * Speed rewrites: float32 graph changes that make the int8 variant faster but may cost agreement, so each
 * is kept only where the validation inputs say it may (docs/quantize.md). Today one:
 *
 * - `pool-after-conv`: an AveragePool moves below the 1×1 Conv that follows it (fold.ts); InceptionV3's
 *   ten pooling branches then pool 4–10× fewer channels.
 *
 * Each rewrite is `try` (the default), `on` (forced) or `off`. The choice is greedy, in SPEED_REWRITES
 * order: the forced ones are always applied; each tried one is added to those kept so far and the variant
 * with them is built and measured (calibrated on its own graph, quantized, accuracy fallback included).
 * A variant that reaches the validation target with no node kept float32 keeps the rewrite at once.
 * Otherwise the variant without it is built too, and the rewrite stays only when it costs nothing the
 * fallback had to pay for: its variant reaches the target where the other does not, or both do (or both
 * miss with no better top-1 without it) and it keeps no more nodes float32 (`keeps`). A rewrite with no
 * site in the graph is not tried (the variant would be the same). So a model whose rewrites hold cleanly
 * costs one build, any other two.
 */
export type RewriteModes = Readonly<Partial<Record<SpeedRewrite, RewriteMode>>>;

export interface RewriteAttempt {
  /** The variant reached the validation target (and did not collapse): a tried rewrite may stay. */
  accepted: boolean;
  /** Validation figures after the fallback, and how many nodes it kept float32. */
  validation: Measured;
  float32Nodes: number;
}

export interface RewriteChoice<A extends RewriteAttempt> {
  chosen: A;
  applied: ReadonlySet<SpeedRewrite>;
  /** One per rewrite, in SPEED_REWRITES order (manifest `quantization.speedRewrites`). */
  records: SpeedRewriteRecord[];
}

export async function chooseRewrites<A extends RewriteAttempt>(
  modes: RewriteModes,
  sites: (rewrite: SpeedRewrite) => number,
  attempt: (applied: ReadonlySet<SpeedRewrite>) => Promise<A>,
): Promise<RewriteChoice<A>> {
  const mode = (r: SpeedRewrite): RewriteMode => modes[r] ?? 'try';
  const count = new Map(SPEED_REWRITES.map((r) => [r, sites(r)]));
  const applied = new Set(SPEED_REWRITES.filter((r) => mode(r) === 'on' && (count.get(r) ?? 0) > 0));
  const tried = new Map<SpeedRewrite, A>();
  let chosen: A | undefined;
  for (const r of SPEED_REWRITES.filter((r) => mode(r) === 'try' && (count.get(r) ?? 0) > 0)) {
    const made = await attempt(new Set([...applied, r]));
    tried.set(r, made);
    const clean = made.accepted && made.float32Nodes === 0;
    // Without r, unless `chosen` already is the variant of exactly `applied` (r not tried yet).
    const without = clean ? undefined : (chosen ?? (await attempt(applied)));
    if (without === undefined || keeps(made, without)) {
      applied.add(r);
      chosen = made;
    } else {
      chosen = without;
    }
  }
  chosen ??= await attempt(applied);
  const final = chosen;
  const records = SPEED_REWRITES.map((name): SpeedRewriteRecord => {
    const sitesFound = count.get(name) ?? 0;
    const made = applied.has(name) ? final : tried.get(name);
    return {
      name,
      mode: mode(name),
      sites: sitesFound,
      applied: applied.has(name),
      ...(made && sitesFound > 0
        ? { validation: { ...made.validation, reached: made.accepted, float32Nodes: made.float32Nodes } }
        : {}),
    };
  });
  return { chosen: final, applied, records };
}

/**
 * Whether the variant with a rewrite (`made`) may replace the one without it: it reaches the target
 * where `without` does not; or both reach it, or both miss and `made` is no worse in top-1, and `made`
 * keeps no more nodes float32.
 */
export function keeps(made: RewriteAttempt, without: RewriteAttempt): boolean {
  if (made.accepted !== without.accepted) return made.accepted;
  const asGood = made.accepted || made.validation.top1 >= without.validation.top1;
  return asGood && made.float32Nodes <= without.float32Nodes;
}

/** The fold options that make `applied` (fold.ts). */
export function foldOptionsFor(applied: ReadonlySet<SpeedRewrite>): FoldOptions {
  return { movePoolsBelowConv: applied.has('pool-after-conv') };
}

/** Where `rewrite` would change `graph` (e.g. the AveragePools pool-after-conv would move); 0 = nowhere. */
export function rewriteSites(graph: Graph, rewrite: SpeedRewrite): number {
  switch (rewrite) {
    case 'pool-after-conv':
      return foldForQuantization(cloneGraph(graph), { movePoolsBelowConv: true }).poolsMovedBelowConv;
  }
}
