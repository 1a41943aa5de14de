import cliProgress from 'cli-progress';
import type { ExtractProgress } from './extract.js';

/** The features progress bar on stderr: images, images/s, how many came from the cache, ETA. */
export function extractionBar(show: boolean | undefined): {
  update(progress: ExtractProgress): void;
  stop(): void;
} {
  const visible = show ?? process.stderr.isTTY === true;
  if (!visible) return { update: () => undefined, stop: () => undefined };
  const started = performance.now();
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: 'features |{bar}| {value}/{total} images | {speed} images/s | {cached} from cache | ETA {eta}s',
      hideCursor: true,
      // --progress forces the bar when stderr is not a terminal (CI logs).
      noTTYOutput: show === true,
      notTTYSchedule: 2000,
    },
    cliProgress.Presets.shades_classic,
  );
  let begun = false;
  return {
    update(p) {
      const seconds = (performance.now() - started) / 1000;
      const payload = { speed: seconds > 0 ? (p.done / seconds).toFixed(1) : '0', cached: p.cached };
      if (!begun) bar.start(p.total, p.done, payload);
      else bar.update(p.done, payload);
      begun = true;
    },
    stop: () => {
      if (begun) bar.stop();
    },
  };
}
