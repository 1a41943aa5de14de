/**
 * One progress bar for everything the in-browser mode downloads (runtime WASM and model): each file
 * reports its bytes, the bar shows the sum against the sum of the sizes known in advance (the page's
 * runtime list and the model card), and the label says what is being fetched in MiB.
 */
import type { Download } from '../../src/runtime/web/download.js';
import { downloadBytes } from '../../src/runtime/web/download.js';

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

export class DownloadProgress {
  private readonly files = new Map<string, { received: number; total: number }>();

  constructor(
    private readonly root: HTMLElement,
    private readonly bar: HTMLProgressElement,
    private readonly label: HTMLElement,
  ) {}

  /** Announces files about to be downloaded, so the bar's total covers all of them from the start. */
  expect(files: readonly { url: string; bytes: number | undefined }[]): void {
    for (const f of files) {
      if (!this.files.has(f.url)) this.files.set(f.url, { received: 0, total: f.bytes ?? 0 });
    }
  }

  /** A Download that reports to this bar (`fetchFn` carries the API key for model files). */
  download(what: string, fetchFn?: typeof fetch): Download {
    return (url, options = {}) => {
      const known = this.files.get(url)?.total ?? 0;
      this.files.set(url, { received: 0, total: options.expectedBytes ?? known });
      this.show(what);
      return downloadBytes(url, {
        ...options,
        ...(fetchFn && { fetchFn }),
        onProgress: (received, total) => {
          this.files.set(url, { received, total: total ?? Math.max(received, options.expectedBytes ?? 0) });
          this.show(what);
        },
      });
    };
  }

  /** After a download: say what was fetched and that the browser keeps it. */
  finish(): void {
    const { received } = this.sums();
    if (this.files.size === 0) return;
    this.bar.max = Math.max(received, 1);
    this.bar.value = received;
    this.root.dataset.done = 'true';
    this.label.textContent = `Downloaded ${mib(received)} MiB (runtime and model); your browser caches them for next time.`;
    this.files.clear();
  }

  hide(): void {
    this.root.hidden = true;
  }

  private sums(): { received: number; total: number } {
    let received = 0;
    let total = 0;
    for (const f of this.files.values()) {
      received += f.received;
      total += Math.max(f.total, f.received);
    }
    return { received, total };
  }

  private show(what: string): void {
    const { received, total } = this.sums();
    this.root.hidden = false;
    this.root.dataset.done = 'false';
    this.bar.max = Math.max(total, 1);
    this.bar.value = received;
    this.label.textContent = `Downloading ${what}: ${mib(received)} of ${mib(total)} MiB`;
  }
}
