import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parseManifest } from '../src/core/manifest.js';
import { createConvertCommand } from '../src/convert/cli.js';

const RESNET8 = path.resolve(import.meta.dirname, '../../shared/data/keras/resnet8_cifar10.h5');

async function convert(args: string[]): Promise<string> {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    await createConvertCommand()
      .exitOverride()
      .parseAsync(['node', 'convert', ...args]);
  } finally {
    spy.mockRestore();
  }
  return chunks.join('');
}

describe('netlens convert', () => {
  it('converts, verifies and writes model, features model and manifest with the options given', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'netlens-cli-'));
    const labels = path.join(out, 'cifar10.txt');
    writeFileSync(labels, 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n');
    const card = path.join(out, 'card.json');
    writeFileSync(
      card,
      JSON.stringify({ summary: 'CIFAR-10 in 32×32.', classes: { cat: 'a domestic cat' } }),
    );
    const text = await convert([
      RESNET8,
      '--name',
      'resnet8',
      '--labels',
      labels,
      '--preprocess',
      'tf',
      '--resize',
      'bilinear',
      '--verify',
      '--description',
      'ResNet8 on CIFAR-10',
      '--card',
      card,
      '--out',
      out,
    ]);
    expect(text).toMatch(/parameters {2}78,666/);
    expect(text).toMatch(/onnx .* nodes, opset 17: .*Conv×9/);
    expect(text).toMatch(/verified {4}against tfjs-layers .* top-1 agreement 100\.0%/);
    expect(text).toMatch(/peak memory \(RSS\) \d+/);
    expect(readdirSync(out).sort()).toEqual([
      'card.json',
      'cifar10.txt',
      'resnet8.features.onnx',
      'resnet8.json',
      'resnet8.onnx',
    ]);
    const manifest = parseManifest(JSON.parse(readFileSync(path.join(out, 'resnet8.json'), 'utf8')));
    expect(manifest.labels[3]).toEqual({ id: '3', label: 'cat' });
    expect(manifest.description).toBe('ResNet8 on CIFAR-10');
    expect(manifest.card).toEqual({ summary: 'CIFAR-10 in 32×32.', classes: { cat: 'a domestic cat' } });
    expect(manifest.preprocessing).toMatchObject({ mode: 'tf', resize: 'bilinear', color: 'rgb' });
    expect(manifest.input).toMatchObject({ height: 32, width: 32, channels: 3, layout: 'NHWC' });
    expect(manifest.provenance.verification?.maxAbsDiff).toBeLessThan(1e-4);
    expect(manifest.provenance).toMatchObject({
      format: 'keras-h5-model',
      kerasVersion: '2.4.0',
      parameters: 78_666,
    });
  });

  it('--output logits --cut-at and --no-features', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'netlens-cli-'));
    const json = JSON.parse(
      await convert([
        RESNET8,
        '--name',
        'r8-logits',
        '--output',
        'logits',
        '--no-features',
        '--json',
        '--out',
        out,
      ]),
    ) as {
      summary: { softmaxStripped: boolean; opHistogram: Record<string, number> };
    };
    expect(json.summary.softmaxStripped).toBe(true);
    expect(json.summary.opHistogram['Softmax']).toBeUndefined();
    expect(readdirSync(out).sort()).toEqual(['r8-logits.json', 'r8-logits.onnx']);
    await convert([RESNET8, '--name', 'r8-cut', '--cut-at', 'activation_6', '--out', out]);
    const cut = parseManifest(JSON.parse(readFileSync(path.join(out, 'r8-cut.json'), 'utf8')));
    expect(cut.output).toEqual({ name: 'features', kind: 'features', size: 8 * 8 * 64 });
  });

  it('rejects a --card that is not a card before converting, naming the fields', async () => {
    await expect(convert([RESNET8, '--card', '{"summary": "x", "usage": "y"}'])).rejects.toThrow(
      /--card: .*usage.*\(fields: summary, classes, intendedUse, limitations, origin\)/,
    );
    await expect(convert([RESNET8, '--card', '/nonexistent/card.json'])).rejects.toThrow(
      /--card: not JSON text or a readable JSON file/,
    );
  });

  it('rejects an unknown --arch with the valid choices', async () => {
    await expect(convert([RESNET8, '--arch', 'alexnet'])).rejects.toThrow(
      /vgg16, vgg19, resnet50, inception_v3, xception/,
    );
  });
});
