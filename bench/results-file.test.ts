import { describe, expect, it } from 'vitest';
import { sectionEnd } from './results-file.js';

describe('sectionEnd (where a new bench block goes in bench/RESULTS.md)', () => {
  const http =
    '## HTTP\n\nintro\n\n<!-- netlens-bench:http:a:start -->\n\nA\n\n<!-- netlens-bench:http:a:end -->\n';
  it('stops before the start marker of a block that opens the next section', () => {
    const quantize = '<!-- netlens-bench:quantize:start -->\n\n## Quantized variants\n\nQ\n';
    const text = `${http}\n${quantize}`;
    expect(text.slice(sectionEnd(text, 7))).toBe(quantize);
  });

  it('stops at the next heading when no block opens it, and at the end when none follows', () => {
    const text = `${http}\n## Lambda\n\nL\n`;
    expect(text.slice(sectionEnd(text, 7))).toBe('## Lambda\n\nL\n');
    expect(sectionEnd(http, 7)).toBe(http.length);
  });

  it('does not mistake the end marker of the section’s own last block for a start', () => {
    const text = `${http}## Next\n`;
    expect(text.slice(sectionEnd(text, 7))).toBe('## Next\n');
  });
});
