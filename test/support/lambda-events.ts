/**
 * AWS Lambda events as the platforms send them (shapes from the AWS documentation's sample events):
 * API Gateway HTTP API (payload 2.0), REST API (1.0, proxy integration), Function URL (2.0 shape, its own
 * domain) and Application Load Balancer (single- or multi-value headers). Bodies that are not text
 * arrive base64-encoded with isBase64Encoded: true, as the platforms do for binary media types.
 */
import type { LambdaEvent } from 'hono/aws-lambda';

export type EventKind = 'http-api-v2' | 'rest-v1' | 'function-url' | 'alb' | 'alb-multi-value';
export const EVENT_KINDS: readonly EventKind[] = [
  'http-api-v2',
  'rest-v1',
  'function-url',
  'alb',
  'alb-multi-value',
];

export interface HttpRequestSpec {
  method: string;
  /** Path and query, e.g. `/v1/models/x/classify?top=3`. */
  path: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
}

const TEXT_TYPES = /^(application\/json|text\/)/;

/** The body as the platform hands it over: text as is, anything else base64. */
function platformBody(spec: HttpRequestSpec): { body: string | null; isBase64Encoded: boolean } {
  if (spec.body === undefined) return { body: null, isBase64Encoded: false };
  const type = spec.headers?.['content-type'] ?? '';
  if (typeof spec.body === 'string' && TEXT_TYPES.test(type))
    return { body: spec.body, isBase64Encoded: false };
  return { body: Buffer.from(spec.body).toString('base64'), isBase64Encoded: true };
}

function splitPath(path: string): { rawPath: string; rawQuery: string; query: Record<string, string> } {
  const url = new URL(path, 'https://example.invalid');
  return {
    rawPath: url.pathname,
    rawQuery: url.search.slice(1),
    query: Object.fromEntries(url.searchParams),
  };
}

const TIME = { time: '30/Nov/2026:05:00:00 +0000', timeEpoch: 1_796_014_800_000 };

function v2Event(spec: HttpRequestSpec, domainName: string, apiId: string): LambdaEvent {
  const { rawPath, rawQuery, query } = splitPath(spec.path);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: rawQuery,
    headers: { host: domainName, 'user-agent': 'netlens-test', ...spec.headers },
    ...(rawQuery && { queryStringParameters: query }),
    requestContext: {
      accountId: '123456789012',
      apiId,
      domainName,
      domainPrefix: apiId,
      http: {
        method: spec.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '192.0.2.1',
        userAgent: 'netlens-test',
      },
      requestId: 'JKJaXmPLvHcESHA=',
      routeKey: '$default',
      stage: '$default',
      ...TIME,
    },
    ...platformBody(spec),
  } as unknown as LambdaEvent;
}

function v1Event(spec: HttpRequestSpec): LambdaEvent {
  const { rawPath, query } = splitPath(spec.path);
  const headers = { host: 'abc123.execute-api.us-east-1.amazonaws.com', ...spec.headers };
  return {
    version: '1.0',
    resource: '/{proxy+}',
    path: rawPath,
    httpMethod: spec.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: Object.keys(query).length > 0 ? query : null,
    multiValueQueryStringParameters:
      Object.keys(query).length > 0
        ? Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]]))
        : null,
    pathParameters: { proxy: rawPath.slice(1) },
    stageVariables: null,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      httpMethod: spec.method,
      path: `/prod${rawPath}`,
      protocol: 'HTTP/1.1',
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      requestTime: TIME.time,
      requestTimeEpoch: TIME.timeEpoch,
      resourceId: 'proxy1',
      resourcePath: '/{proxy+}',
      stage: 'prod',
      identity: { sourceIp: '192.0.2.1', userAgent: 'netlens-test' },
    },
    ...platformBody(spec),
  } as unknown as LambdaEvent;
}

function albEvent(spec: HttpRequestSpec, multiValue: boolean): LambdaEvent {
  const { rawPath, query } = splitPath(spec.path);
  const headers = { host: 'lb-123.us-east-1.elb.amazonaws.com', ...spec.headers };
  const targetGroupArn =
    'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/netlens/6d0ecf831eec9f09';
  return {
    requestContext: { elb: { targetGroupArn } },
    httpMethod: spec.method,
    path: rawPath,
    ...(multiValue
      ? {
          multiValueQueryStringParameters: Object.fromEntries(
            Object.entries(query).map(([k, v]) => [k, [v]]),
          ),
          multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
        }
      : { queryStringParameters: query, headers }),
    ...platformBody(spec),
  } as unknown as LambdaEvent;
}

export function lambdaEvent(kind: EventKind, spec: HttpRequestSpec): LambdaEvent {
  switch (kind) {
    case 'http-api-v2':
      return v2Event(spec, 'abc123.execute-api.us-east-1.amazonaws.com', 'abc123');
    case 'function-url':
      return v2Event(spec, 'k3jq2xexample.lambda-url.us-east-1.on.aws', 'k3jq2xexample');
    case 'rest-v1':
      return v1Event(spec);
    case 'alb':
      return albEvent(spec, false);
    case 'alb-multi-value':
      return albEvent(spec, true);
  }
}

export interface DecodedResult {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
  text: string;
  isBase64Encoded: boolean;
}

/** A Lambda result (any of the shapes) as status, lower-case headers and body bytes. */
export function decodeResult(result: {
  statusCode: number;
  body: string;
  isBase64Encoded: boolean;
  headers?: Record<string, unknown>;
  multiValueHeaders?: Record<string, unknown>;
}): DecodedResult {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k.toLowerCase()] = String(v);
  for (const [k, v] of Object.entries(result.multiValueHeaders ?? {})) {
    headers[k.toLowerCase()] = Array.isArray(v) ? v.map(String).join(', ') : String(v);
  }
  const body = result.isBase64Encoded
    ? new Uint8Array(Buffer.from(result.body, 'base64'))
    : new TextEncoder().encode(result.body);
  return {
    status: result.statusCode,
    headers,
    body,
    text: new TextDecoder().decode(body),
    isBase64Encoded: result.isBase64Encoded,
  };
}

/** A multipart/form-data body of files, encoded by undici's Request (the boundary in the content type). */
export async function multipartBody(
  files: { name: string; bytes: Uint8Array; type: string }[],
): Promise<{ body: Uint8Array; contentType: string }> {
  const form = new FormData();
  for (const f of files) form.append('file', new Blob([new Uint8Array(f.bytes)], { type: f.type }), f.name);
  const request = new Request('http://local/', { method: 'POST', body: form });
  return {
    body: new Uint8Array(await request.arrayBuffer()),
    contentType: request.headers.get('content-type')!,
  };
}
