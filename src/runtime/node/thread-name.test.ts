import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { expect, it } from 'vitest';

it('names the worker thread it runs in, and only that thread', async () => {
  const names = await new Promise<{ own: string; main: string }>((done, fail) => {
    const worker = new Worker(
      `const { register } = await import('tsx/esm/api');
       register();
       const { nameThisThread } = await import(${JSON.stringify(new URL('./thread-name.ts', import.meta.url).href)});
       const { readFileSync } = await import('node:fs');
       const { parentPort } = await import('node:worker_threads');
       nameThisThread('netlens-test-thread-name');
       parentPort.postMessage({
         own: readFileSync('/proc/thread-self/comm', 'utf8').trim(),
         main: readFileSync('/proc/' + process.pid + '/comm', 'utf8').trim(),
       });`,
      { eval: true, type: 'module' } as never,
    );
    worker.once('message', done);
    worker.once('error', fail);
  });
  // Cut to Linux's 15 characters; the process (main thread) keeps its name.
  expect(names.own).toBe('netlens-test-th');
  expect(names.main).toBe(readFileSync(`/proc/${process.pid}/comm`, 'utf8').trim());
  expect(names.main).not.toBe('netlens-test-th');
});
