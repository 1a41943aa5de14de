/**
 * The Worker's queue() handler: the work queue runs jobs (like the Node poller, one lease per job),
 * R2 object-create events become jobs, and dead letters (a job whose handler kept crashing) are marked
 * failed so the job API shows them.
 */
import type { AppJobs } from '../../src/app/env.js';
import type { Logger } from '../../src/app/logger.js';
import { messageOf } from '../../src/core/errors.js';
import { sha256OfText } from '../../src/core/hash.js';
import type { Settings } from '../../src/settings/index.js';
import type { QueueBatchLike, QueueMessageLike } from './bindings.js';
import { JOB_QUEUES, delaySeconds } from './jobs.js';

type JobSettings = Pick<Settings, 'r2CallbackUrl' | 'defaultModel'>;

export async function consumeBatch(
  batch: QueueBatchLike,
  jobs: AppJobs,
  settings: JobSettings,
  logger: Logger,
): Promise<void> {
  for (const message of batch.messages) {
    try {
      if (batch.queue === JOB_QUEUES.r2Events) await r2Event(message, jobs, settings);
      else if (batch.queue === JOB_QUEUES.deadLetters) await deadLetter(message, jobs);
      else await work(message, jobs);
    } catch (error) {
      logger.error(
        { err: messageOf(error), queue: batch.queue, attempts: message.attempts },
        'queue message failed',
      );
      message.retry({ delaySeconds: Math.min(60, 2 ** message.attempts) });
    }
  }
}

/** Runs the job if due and free; a job with work left later goes back with that delay. */
async function work(message: QueueMessageLike, jobs: AppJobs): Promise<void> {
  const { id } = message.body as { id: string };
  const job = (await jobs.runner.runById(id)) ?? (await jobs.service.store.get(id));
  const leasedElsewhere =
    job !== undefined && (job.leaseUntil ?? 0) >= Date.now() && job.leaseOwner !== jobs.owner;
  if (!job || job.dueAt === null || leasedElsewhere) return message.ack();
  message.retry({ delaySeconds: delaySeconds(job.dueAt) });
}

/** An R2 event notification (https://developers.cloudflare.com/r2/buckets/event-notifications/). */
interface R2Event {
  bucket: string;
  action: string;
  object: { key: string; size?: number; eTag?: string };
  eventTime?: string;
}

const CREATE_ACTIONS = new Set(['PutObject', 'CopyObject', 'CompleteMultipartUpload']);

async function r2Event(message: QueueMessageLike, jobs: AppJobs, settings: JobSettings): Promise<void> {
  const event = message.body as R2Event;
  if (!CREATE_ACTIONS.has(event.action) || typeof event.object?.key !== 'string') return message.ack();
  const key = `r2:${event.bucket}/${event.object.key}@${event.object.eTag ?? ''}`;
  await jobs.service.create(key, await sha256OfText(key), {
    r2: { bucket: event.bucket, key: event.object.key },
    model: settings.defaultModel,
    top: 5,
    threshold: 0.5,
    ...(settings.r2CallbackUrl !== undefined && { callbackUrl: settings.r2CallbackUrl }),
    metadata: {
      bucket: event.bucket,
      key: event.object.key,
      ...(event.eventTime && { eventTime: event.eventTime }),
    },
  });
  message.ack();
}

async function deadLetter(message: QueueMessageLike, jobs: AppJobs): Promise<void> {
  const { id } = message.body as { id: string };
  const job = await jobs.service.store.get(id);
  if (job && job.dueAt !== null) {
    const processing = job.state === 'queued' || job.state === 'running';
    const error = {
      code: 'internal',
      message: `dead-lettered: its queue message failed ${message.attempts} times`,
    };
    await jobs.service.store.transition(
      id,
      [job.state],
      processing
        ? { state: 'failed', dueAt: null, lastError: error, finishedAt: Date.now() }
        : { state: 'delivery_failed', dueAt: null, deliveryError: error },
      Date.now(),
    );
  }
  message.ack();
}
