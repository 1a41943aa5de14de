import { createRoute, z } from '@hono/zod-openapi';
import { NetlensError } from '../../core/errors.js';
import { HookBodySchema } from '../../jobs/request.js';
import { JOB_STATES } from '../../jobs/types.js';
import { jobView } from '../../jobs/view.js';
import type { AppDeps, Router } from '../env.js';
import { createRouter } from '../env.js';
import { problems } from '../schemas.js';

const JobParams = z.object({
  id: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: 'id', in: 'path' }, example: 'job_3f2a…' }),
});

const ListQuery = z.object({
  status: z
    .enum(JOB_STATES)
    .optional()
    .openapi({ param: { name: 'status', in: 'query' } }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(500)
    .default(50)
    .openapi({ param: { name: 'limit', in: 'query' } }),
  cursor: z
    .string()
    .max(200)
    .optional()
    .openapi({ param: { name: 'cursor', in: 'query' } }),
});

const Accepted = z.object({ jobId: z.string(), status: z.enum(JOB_STATES) }).openapi('JobAccepted');
const JobSchema = z
  .record(z.string(), z.unknown())
  .openapi('Job', { description: 'a job (docs/webhooks.md)' });

const hookRoute = createRoute({
  method: 'post',
  path: '/v1/hooks/tag',
  summary: 'Signed webhook (Standard Webhooks): fetch, classify and deliver an image asynchronously',
  request: { body: { required: true, content: { 'application/json': { schema: HookBodySchema } } } },
  responses: {
    202: { description: 'the job is stored durably', content: { 'application/json': { schema: Accepted } } },
    200: {
      description: 'a repeat of a webhook-id: the same job',
      content: { 'application/json': { schema: Accepted } },
    },
    ...problems(400, 401, 404, 413, 422, 503),
  },
});

/**
 * POST /v1/hooks/tag (signed webhooks) and the job API: GET /v1/jobs, GET /v1/jobs/{id},
 * POST /v1/jobs/{id}/retry. Mounted when the entry point gives a job store (createApp's `jobs`).
 */
export function jobRoutes(deps: AppDeps): Router {
  const router = createRouter();
  const jobs = deps.jobs;
  if (!jobs) return disabledRoutes(router);

  // The raw text is what the signature covers, so it is read as text and validated after the check.
  router.openapi(hookRoute, async (c) => {
    const { job, created } = await jobs.service.accept(await c.req.text(), c.req.raw.headers);
    c.get('logger').info(
      { jobId: job.id, webhookId: job.webhookId, created },
      created ? 'job accepted' : 'repeated webhook',
    );
    return c.json({ jobId: job.id, status: job.state }, created ? 202 : 200);
  });

  router.openapi(
    createRoute({
      method: 'get',
      path: '/v1/jobs',
      summary: 'List jobs, newest first',
      request: { query: ListQuery },
      responses: {
        200: {
          description: 'a page of jobs; pass `next` as cursor for the following one',
          content: {
            'application/json': {
              schema: z.object({ jobs: z.array(JobSchema), next: z.string().optional() }),
            },
          },
        },
        ...problems(400, 401),
      },
    }),
    async (c) => {
      const { status, limit, cursor } = c.req.valid('query');
      const page = await jobs.service.list({
        limit,
        ...(status && { state: status }),
        ...(cursor && { cursor }),
      });
      return c.json({ jobs: page.jobs.map(jobView), ...(page.next && { next: page.next }) }, 200);
    },
  );

  router.openapi(
    createRoute({
      method: 'get',
      path: '/v1/jobs/{id}',
      summary: 'One job: state, attempts, result, errors, timestamps',
      request: { params: JobParams },
      responses: {
        200: { description: 'the job', content: { 'application/json': { schema: JobSchema } } },
        ...problems(401, 404),
      },
    }),
    async (c) => c.json(jobView(await jobs.service.get(c.req.valid('param').id)), 200),
  );

  router.openapi(
    createRoute({
      method: 'post',
      path: '/v1/jobs/{id}/retry',
      summary: 'Run a failed job again, or deliver a delivery_failed one again (new webhook-id)',
      request: { params: JobParams },
      responses: {
        202: { description: 'queued again', content: { 'application/json': { schema: JobSchema } } },
        ...problems(401, 404, 409),
      },
    }),
    async (c) => c.json(jobView(await jobs.service.retry(c.req.valid('param').id)), 202),
  );
  return router;
}

/** Without a job store or secrets, the job paths say how to turn them on. */
function disabledRoutes(router: Router): Router {
  const off = (): never => {
    throw new NetlensError(
      'not_found',
      'webhook jobs are off on this server: set NETLENS_WEBHOOK_SECRETS (docs/webhooks.md)',
    );
  };
  router.all('/v1/hooks/*', off);
  router.all('/v1/jobs', off);
  router.all('/v1/jobs/*', off);
  return router;
}
