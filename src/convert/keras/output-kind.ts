import type { OUTPUT_KINDS } from '../../core/manifest.js';

export type OutputKind = (typeof OUTPUT_KINDS)[number];
