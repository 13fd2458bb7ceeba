/**
 * Explanations stored beside their predictions: with event.store, each row becomes an
 * ExplanationEvent CloudEvent (type io.sightline.explanation) POSTed to --events-sink,
 * carrying the explained request id and the caller's trace id.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Metadata } from '@grpc/grpc-js';
import type { ModelServerHandle } from '@sightline/model-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExplainerHandle } from '../src/explainer.js';
import {
  explainerClient,
  IRIS_BACKGROUND,
  irisInstances,
  startTestExplainer,
  startTestModelServer,
} from './helpers/explainer-stack.js';

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
}

describe('ExplanationEvents', () => {
  let modelServer: ModelServerHandle;
  let explainer: ExplainerHandle;
  let client: ReturnType<typeof explainerClient>;
  let sink: Server;
  const received: Received[] = [];

  beforeAll(async () => {
    sink = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ headers: request.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        response.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    const port = (sink.address() as AddressInfo).port;
    modelServer = await startTestModelServer();
    explainer = await startTestExplainer(modelServer.grpcAddress, {
      eventsSink: `http://127.0.0.1:${port}/events`,
    });
    client = explainerClient(explainer.grpcAddress);
  });
  afterAll(async () => {
    client?.close();
    await explainer?.shutdown('test over');
    await modelServer?.shutdown('test over');
    await new Promise((resolve) => sink?.close(resolve));
  });

  it('sends one event per row with the request id, prediction rows and the trace id', async () => {
    const metadata = new Metadata();
    metadata.set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    const response = await client.explain(
      {
        target: { modelName: 'iris' },
        instances: irisInstances([
          [5.0, 3.4, 1.5, 0.2],
          [6.7, 3.1, 4.4, 1.4],
        ]),
        background: { rows: { tensors: irisInstances(IRIS_BACKGROUND) } },
        kernelShap: {},
        event: { store: true, requestId: 'req-1', predictionRows: [4, 7] },
      },
      { metadata },
    );
    expect(response.eventIds).toHaveLength(2);
    for (let i = 0; i < 200 && received.length < 2; i++)
      await new Promise((resolve) => setTimeout(resolve, 25));
    expect(received).toHaveLength(2);
    const byId = new Map(received.map((r) => [r.headers['ce-id'], r]));
    for (const [row, id] of response.eventIds.entries()) {
      const event = byId.get(id)!;
      expect(event.headers).toMatchObject({
        'ce-type': 'io.sightline.explanation',
        'ce-source': 'sightline/explainer',
        'ce-subject': 'req-1',
        'ce-requestid': 'req-1',
        'ce-modelname': 'iris',
        'ce-traceid': '0af7651916cd43dd8448eb211c80319c',
      });
      expect(event.body).toMatchObject({
        eventId: id,
        requestId: 'req-1',
        traceId: '0af7651916cd43dd8448eb211c80319c',
        predictionRow: [4, 7][row],
        modelName: 'iris',
        modelVersion: '1',
        meta: { name: 'Ablation' },
        explanation: { complete: true },
        usage: { complete: true },
      });
      // proto3 JSON leaves out zeros: row 0 has no `row`.
      expect((event.body.explanation as { row?: number }).row ?? 0).toBe(row);
    }
  });

  it('refuses store without the request id it explains', async () => {
    const error = await client
      .explain({
        target: { modelName: 'iris' },
        instances: irisInstances([[5.0, 3.4, 1.5, 0.2]]),
        background: { rows: { tensors: irisInstances(IRIS_BACKGROUND) } },
        kernelShap: {},
        event: { store: true },
      })
      .catch((e: { code: number; details: string }) => e);
    expect(error).toMatchObject({
      code: 3,
      details: 'event.request_id: required with store (rule "event.request_id_set")',
    });
  });
});
