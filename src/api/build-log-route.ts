// POST /deployments/<id>/log: a worker hands the api a batch of a running build's lines (see
// activities/build-log-forwarder.ts). The worker token only; the deploy must exist (its run
// names its namespace); the body is bounded and checked whole before a line is kept.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { BUILD_LOG_LIMITS, CUT_MARK_SLACK, safeLogLine } from '../shared/build-log.js';
import type { Principal } from './auth/authenticator.js';
import type { OwnerLookup } from './auth/owners.js';
import type { BuildLogStore } from './build-log-store.js';
import { jsonTextProblem } from './request-limits.js';

const PATH = /^\/deployments\/(dep_[0-9a-f]{32})\/log$/;

const BatchSchema = z.strictObject({
  attempt: z.number().int().min(1).max(1000),
  seq: z.number().int().min(0).max(1_000_000),
  lines: z.array(z.string().max(BUILD_LOG_LIMITS.lineChars + CUT_MARK_SLACK)).max(BUILD_LOG_LIMITS.linesPerBatch),
});

export const isBuildLogPath = (path: string): boolean => path.startsWith('/deployments/');

export interface BuildLogRouteArgs {
  path: string;
  caller: Principal;
  store: BuildLogStore;
  owners: OwnerLookup;
  readBody(max: number): Promise<Buffer | null>;
  /** Answers once the request's body is read and dropped. */
  afterBody(answer: () => void): void;
  sendJson(status: number, body: unknown): void;
}

export async function serveBuildLog(req: IncomingMessage, _res: ServerResponse, args: BuildLogRouteArgs): Promise<void> {
  const { sendJson, afterBody } = args;
  const id = PATH.exec(args.path)?.[1];
  if (!id) return afterBody(() => sendJson(404, { error: 'not found' }));
  if (args.caller.kind !== 'worker') return afterBody(() => sendJson(403, { error: 'build logs are written by workers only' }));
  if (req.method !== 'POST') return afterBody(() => sendJson(405, { error: 'POST only' }));
  const body = await args.readBody(BUILD_LOG_LIMITS.batchBytes);
  if (!body) return sendJson(413, { error: `a batch of build log lines is at most ${BUILD_LOG_LIMITS.batchBytes} bytes` });
  const text = body.toString('utf8');
  const bad = jsonTextProblem(text, 'the request body');
  if (bad) return sendJson(bad.status, { error: bad.message });
  let parsed;
  try {
    parsed = BatchSchema.safeParse(JSON.parse(text));
  } catch {
    return sendJson(400, { error: 'the body is not JSON' });
  }
  if (!parsed.success) return sendJson(400, { error: `the body must be { attempt, seq, lines }: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? ''}`.trim() });
  // Known once a batch or a reader of it got here (both checked it); else its run must exist.
  if (!args.store.has(id) && !(await args.owners('deployment', id))) return sendJson(404, { error: `no deployment ${id}` });
  // Cleaned again here: the api does not rely on the worker for what readers print.
  const { kept } = args.store.append(id, { ...parsed.data, lines: parsed.data.lines.map(safeLogLine) });
  sendJson(200, { kept });
}
