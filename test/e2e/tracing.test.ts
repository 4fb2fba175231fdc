// Traces on the real stack: with OTEL_EXPORTER_OTLP_ENDPOINT set, one invocation is one trace
// from the api's HTTP request through the Temporal client, the workflow and its activities to
// the container, exported to a real OTLP/HTTP receiver; the function sees TRACEPARENT naming a
// span of that trace (warm and cold).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processTracing } from '../../src/observability/load-tracing.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { deployDir } from '../support/deploy.js';
import { waitFor } from '../support/containers.js';
import { startOtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';

let stack: TestStack;
let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  stack = await startTestStack({ name: 'tracing', env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'caisson-test' } });
  await Promise.all([
    deployDir(stack.client, { name: 'tp-warm', runtime: 'python', dir: 'test/fixtures/functions/py-traceparent' }),
    deployDir(stack.client, { name: 'tp-cold', runtime: 'python', dir: 'test/fixtures/functions/py-traceparent', fresh: true }),
  ]);
});

afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

const W3C = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;

describe('one trace per invocation', () => {
  // A warm sync invoke is started eagerly; a fresh one with the outcome update (update-with-start).
  it.each([
    ['tp-warm', 'StartWorkflow:invokeFunction', 'RunActivity:executeWarm'],
    ['tp-cold', 'UpdateWithStartWorkflow:outcome', 'RunActivity:createContainer'],
  ])('%s: request → workflow → activities → container', async (fn, startSpan, containerSpan) => {
    const v = await stack.client.invocations.invoke.mutate({ function: fn, payload: null });
    expect(v.status).toBe('SUCCEEDED');
    const traceparent = (v.result as { traceparent: string | null }).traceparent;
    const m = W3C.exec(traceparent ?? '');
    expect(m, `TRACEPARENT in the container: ${traceparent}`).not.toBeNull();
    const [, traceId, parentSpanId] = m!;
    const tracing = await processTracing({ endpoint: receiver.url, serviceName: 'caisson-test' });
    await tracing!.forceFlush();
    const ofTrace = () => receiver.spans.filter((s) => s.traceId === traceId);
    const spans = await waitFor('the trace\'s spans', async () => {
      const s = ofTrace();
      return s.some((x) => x.name === containerSpan) && s.some((x) => x.name.startsWith('RunWorkflow:')) && s.some((x) => x.name === 'POST invocations.invoke') && s;
    }, 30_000, 200);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const root = spans.find((s) => s.name === 'POST invocations.invoke')!;
    expect(root.service).toBe('caisson-test');
    // Every span of the trace descends from the api's request span.
    const ancestry = (s: ReceivedSpan): string[] => (s.parentSpanId && byId.has(s.parentSpanId) ? [...ancestry(byId.get(s.parentSpanId)!), s.name] : [s.name]);
    for (const s of spans) expect(ancestry(s)[0], `${s.name}'s root`).toBe('POST invocations.invoke');
    const activity = containerSpan.replace('Run', 'Start');
    expect(ancestry(spans.find((s) => s.name === containerSpan)!))
      .toEqual(['POST invocations.invoke', startSpan, 'RunWorkflow:invokeFunction', activity, containerSpan]);
    if (fn === 'tp-cold') expect(spans.map((s) => s.name)).toEqual(expect.arrayContaining(['RunActivity:executeWithTimeout', 'RunActivity:removeContainer']));
    // The container's TRACEPARENT names the span of the activity that made (or ran in) it.
    expect(byId.get(parentSpanId!)?.name).toBe(containerSpan);
  });
});
