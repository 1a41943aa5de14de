import type { Float32Tensor } from '../engine.js';
import { NetlensError } from '../errors.js';

/**
 * Concatenates NHWC tensors along the batch axis: N items of [1, H, W, C] give [N, H, W, C]
 * (items with a larger leading dimension contribute that many images). All items must share H, W, C.
 */
export function stackBatch(items: readonly Float32Tensor[]): Float32Tensor {
  const first = items[0];
  if (first === undefined) {
    throw new NetlensError('invalid_argument', 'stackBatch: needs at least one tensor');
  }
  const inner = checkRank4(first, 0).slice(1);
  let batch = 0;
  items.forEach((item, index) => {
    const dims = checkRank4(item, index);
    if (dims[1] !== inner[0] || dims[2] !== inner[1] || dims[3] !== inner[2]) {
      throw new NetlensError(
        'invalid_argument',
        `stackBatch: item ${index} has dims [${dims.join(', ')}], expected [n, ${inner.join(', ')}] like item 0`,
        { details: { index, dims, expected: inner } },
      );
    }
    batch += dims[0] as number;
  });
  const data = new Float32Array(items.reduce((sum, item) => sum + item.data.length, 0));
  let offset = 0;
  for (const item of items) {
    data.set(item.data, offset);
    offset += item.data.length;
  }
  return { data, dims: [batch, ...inner] };
}

function checkRank4(item: Float32Tensor, index: number): readonly number[] {
  const { dims, data } = item;
  const size = dims.reduce((a, b) => a * b, 1);
  if (dims.length !== 4 || dims.some((d) => !Number.isInteger(d) || d < 1) || data.length !== size) {
    throw new NetlensError(
      'invalid_argument',
      `stackBatch: item ${index} must be NHWC [n, h, w, c] with matching data; got dims [${dims.join(', ')}] and ${data.length} values`,
      { details: { index, dims: [...dims], length: data.length } },
    );
  }
  return dims;
}
