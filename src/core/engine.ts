/**
 * The engine contract: the only thing core and the app know about an inference runtime.
 * Implementations live in src/runtime/node (onnxruntime-node) and src/runtime/web (onnxruntime-web);
 * entry points construct one and inject it. Core never detects which runtime it runs in.
 */

/** A dense float32 tensor in row-major order. */
export interface Float32Tensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

export interface SessionOptions {
  /** Execution providers in preference order, e.g. ['cuda', 'webgpu', 'cpu']. */
  providers?: readonly string[];
  /** Fail instead of using the CPU when no GPU provider can be created. */
  requireGpu?: boolean;
  /** Intra-op threads; defaults to the engine's. */
  threads?: number;
  /** One run with zeros before the session is handed out (default true; see core/session.ts). */
  warmUp?: boolean;
}

export interface EngineSession {
  /** The execution provider that really runs this session (after any fallback). */
  readonly provider: string;
  /** Failures of providers tried before `provider` (never silent). */
  readonly fallbacks: readonly { provider: string; error: string }[];
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** How long the warm-up run took (undefined when it was skipped). */
  readonly warmUpMs?: number | undefined;
  /** Runs the model on one input tensor and returns the named outputs (all outputs when omitted). */
  run(input: Float32Tensor, outputs?: readonly string[]): Promise<Record<string, Float32Tensor>>;
  dispose(): Promise<void>;
}

export interface Engine {
  /** e.g. 'onnxruntime-node 1.30.0' */
  readonly name: string;
  /**
   * Copies of the model each session keeps in memory (an engine running sessions side by side in
   * several threads holds one per thread); what a memory budget must charge per model. Default 1.
   */
  readonly replicas?: number;
  /** Creates a session from ONNX bytes. */
  createSession(model: Uint8Array, options?: SessionOptions): Promise<EngineSession>;
}
