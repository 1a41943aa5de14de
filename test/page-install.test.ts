/**
 * The demo page's "Install more models" panel gives exact commands: each must be one docs/converter.md
 * documents (as `npx netlens …` there is `netlens …`), with an architecture the converter knows.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ARCHITECTURE_NAMES } from '../src/convert/architectures/index.js';

const ROOT = join(import.meta.dirname, '..');

describe('the install panel', () => {
  it('shows the converter commands of docs/converter.md', () => {
    const html = readFileSync(join(ROOT, 'functions/browser/index.html'), 'utf8');
    const panel = html.slice(html.indexOf('<details id="install"'), html.indexOf('</details>'));
    const commands = [...panel.matchAll(/^(?:\s*<pre><code>)?(npx netlens convert [^<\n]+)/gm)].map(
      (m) => m[1]!,
    );
    expect(commands).toHaveLength(3);
    const docs = readFileSync(join(ROOT, 'docs/converter.md'), 'utf8');
    const documented = docs.split('\n').map((line) => line.replace(/\s+#.*$/, '').trim());
    for (const command of commands) expect(documented).toContain(command.replace(/^npx /, ''));
    for (const [, arch] of panel.matchAll(/--arch (\w+)/g)) expect(ARCHITECTURE_NAMES).toContain(arch);
    expect(panel).toContain(`--arch</code> is one of ${ARCHITECTURE_NAMES.join(', ')}.`);
  });
});
