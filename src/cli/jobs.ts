import { Command, InvalidArgumentError } from 'commander';
import { type NodeJobBackend, openJobBackend } from '../jobs/node/backend.js';
import { JobService } from '../jobs/service.js';
import { createWebhookSigner } from '../jobs/signature.js';
import { JOB_STATES, type Job, type JobState } from '../jobs/types.js';
import { createUrlPolicy } from '../jobs/url-policy.js';
import { jobView } from '../jobs/view.js';
import { modelsDirectory } from '../runtime/node/model-dir.js';
import { readNodeSettings } from '../runtime/node/runtime.js';

/**
 * `netlens jobs list|show|retry`: the webhook job store the server uses (NETLENS_QUEUE, default the
 * SQLite file beside the models), read and changed directly — no server needs to run.
 */
export function createJobsCommand(): Command {
  const command = new Command('jobs').description(
    'webhook jobs in the store (NETLENS_QUEUE; docs/webhooks.md)',
  );
  command.exitOverride();
  command.option('--models-dir <dir>', 'models directory (the default SQLite file is in ../data beside it)');
  command
    .command('list')
    .description('jobs, newest first')
    .option('--status <state>', `only jobs in this state (${JOB_STATES.join(', ')})`, state)
    .option('--limit <n>', 'jobs per page (1–500)', limit, 20)
    .option('--cursor <cursor>', 'the page after the one that printed this cursor')
    .option('--json', 'print JSON')
    .action(
      async (options: { status?: JobState; limit: number; cursor?: string; json?: boolean }, sub: Command) =>
        withService(sub, async (service) => {
          const page = await service.list({
            limit: options.limit,
            ...(options.status && { state: options.status }),
            ...(options.cursor && { cursor: options.cursor }),
          });
          if (options.json)
            return print({ jobs: page.jobs.map(jobView), ...(page.next && { next: page.next }) });
          for (const job of page.jobs) process.stdout.write(`${summary(job)}\n`);
          if (page.jobs.length === 0) process.stdout.write('no jobs\n');
          if (page.next) process.stdout.write(`more: netlens jobs list --cursor ${page.next}\n`);
        }),
    );
  command
    .command('show')
    .description('one job in full (JSON)')
    .argument('<id>')
    .action(async (id: string, _options: unknown, sub: Command) =>
      withService(sub, async (service) => print(jobView(await service.get(id)))),
    );
  command
    .command('retry')
    .description('run a failed job again, or deliver a delivery_failed one again')
    .argument('<id>')
    .action(async (id: string, _options: unknown, sub: Command) =>
      withService(sub, async (service) => {
        const job = await service.retry(id);
        process.stdout.write(`${summary(job)}\n`);
      }),
    );
  return command;
}

async function withService(sub: Command, run: (service: JobService) => Promise<void>): Promise<void> {
  const modelsDir = (sub.parent?.opts() as { modelsDir?: string }).modelsDir;
  const { settings } = readNodeSettings(process.env, modelsDir !== undefined ? { modelsDir } : {});
  let backend: NodeJobBackend | undefined;
  try {
    backend = await openJobBackend(settings, modelsDirectory(settings.modelsDir), { owner: 'cli' });
    const service = new JobService({
      store: backend.store,
      queue: backend.queue,
      signer: createWebhookSigner(settings.webhookSecrets),
      policy: createUrlPolicy(settings.fetchAllow),
      defaults: { model: settings.defaultModel, top: 5 },
      retentionMs: settings.jobRetentionHours * 3600 * 1000,
    });
    await run(service);
  } finally {
    await backend?.close();
  }
}

function summary(job: Job): string {
  const when = new Date(job.createdAt).toISOString();
  const tags = job.result ? ` tags=[${job.result.tags.join(', ')}]` : '';
  const error = job.lastError ? ` error=${job.lastError.code}` : '';
  const delivery =
    job.deliveryError && job.state !== 'delivered' ? ` callback=${job.deliveryError.code}` : '';
  return `${job.id}  ${job.state.padEnd(15)} ${when}  attempts=${job.attempts}/${job.deliveryAttempts}${tags}${error}${delivery}`;
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function state(value: string): JobState {
  if (!(JOB_STATES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`one of ${JOB_STATES.join(', ')}`);
  }
  return value as JobState;
}

function limit(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 500) throw new InvalidArgumentError('an integer from 1 to 500');
  return n;
}
