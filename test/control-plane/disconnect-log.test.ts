// However an ADS stream ends, and whatever events grpc-js emits for it, its end is logged
// once, at info, with the reason, the client's identity and how long the stream lived.
import * as http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TypeUrl } from '../../control-plane/types.ts';
import { envoy } from '../../generated/envoy.js';
import { AdsFixture } from '../support/ads-fixture.ts';
import { captureLog, type CapturedLog } from '../support/capture-log.ts';
import { clusterName, handBuiltSnapshot, routeName, type HandBuiltService } from '../support/hand-built.ts';
import { envoyNode, grpcNode } from '../support/raw-ads-client.ts';
import { waitFor } from '../support/wait.ts';

const { DiscoveryRequest } = envoy.service.discovery.v3;
const adsPath = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';
const a: HandBuiltService = { target: 'a.ns.svc.cluster.local:50051', endpoints: [{ address: '10.0.0.1', port: 50051 }] };
const probe: HandBuiltService = { target: 'probe:1', endpoints: [] };

interface Context { ads: AdsFixture; log: CapturedLog }
const test = suite<Context>('disconnect log', {} as Context);
test.before.each(async (context) => {
  context.log = captureLog();
  context.ads = await AdsFixture.start();
  context.ads.set(handBuiltSnapshot([a, probe]));
});
test.after.each(async ({ ads, log }) => {
  await ads.stop();
  log.restore();
});

function disconnects(log: CapturedLog, node: string) {
  return log.lines.filter((line) => line.msg === 'client disconnected' && line.node === node);
}

/** The one end line of `node`'s stream, checked once a later round trip gave its remaining events time to run. */
async function endOf({ ads, log }: Context, node: string, level = 'info'): Promise<Record<string, unknown>> {
  await waitFor(`the end of ${node}'s stream`, () => disconnects(log, node).length > 0);
  const later = ads.client(grpcNode(`after-${node}`));
  later.request(TypeUrl.Route, [routeName(probe.target)]);
  await later.nextOf(TypeUrl.Route);
  const lines = disconnects(log, node);
  assert.is(lines.length, 1, `one line for ${node}: ${JSON.stringify(lines)}`);
  assert.is(lines[0]!.level, level);
  assert.type(lines[0]!.durationMs, 'number');
  return lines[0]!;
}

/** A DiscoveryRequest for a's endpoints, as bytes. */
function edsRequest(node: envoy.config.core.v3.INode): Buffer {
  return Buffer.from(DiscoveryRequest.encode({ node, type_url: TypeUrl.Endpoint, resource_names: [clusterName(a.target)] }).finish());
}

/**
 * An ADS stream on plain HTTP/2 that has sent one request and that the server knows. Waiting
 * for trailers keeps Node from sending END_STREAM before a reset, so `stream.close(CANCEL)`
 * resets it the way grpc-go, grpc-java, C-core and Envoy cancel.
 */
async function http2Stream({ ads }: Context, node: string) {
  const session = http2.connect(`http://${ads.address}`);
  session.on('error', () => {});
  const stream = session.request({ ':method': 'POST', ':path': adsPath, 'content-type': 'application/grpc', te: 'trailers' }, { waitForTrailers: true });
  stream.on('error', () => {});
  const message = edsRequest(grpcNode(node));
  const frame = Buffer.alloc(5 + message.length); // gRPC framing: not compressed, 4-byte length
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  stream.write(frame);
  await waitFor('the server to know the client', () => ads.server.streams().some((s) => s.nodeId === node));
  return { session, stream };
}

test('a client that closes its side ends the stream: reason end, with node id, class and user agent', async (context) => {
  const client = new grpc.Client(context.ads.address, grpc.credentials.createInsecure());
  try {
    const identity = (value: Buffer) => value;
    const call = client.makeBidiStreamRequest(adsPath, identity, identity);
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    call.on('error', () => {});
    const answered = new Promise((resolve) => call.once('data', resolve));
    call.write(edsRequest(grpcNode('ender')));
    await answered;
    call.end();
    assert.is((await status).code, grpc.status.OK);
    const line = await endOf(context, 'ender');
    assert.is(line.reason, 'end');
    assert.is(line.class, 'proxyless');
    assert.is(line.userAgent, 'gRPC Node/1.14.1');
  } finally {
    client.close();
  }
});

test('a client that resets its stream: reason cancelled', async (context) => {
  const { session, stream } = await http2Stream(context, 'canceller');
  try {
    stream.close(http2.constants.NGHTTP2_CANCEL);
    const line = await endOf(context, 'canceller');
    assert.is(line.reason, 'cancelled');
    assert.is(line.class, 'proxyless');
  } finally {
    session.destroy();
  }
});

test('a client whose connection drops: reason cancelled', async (context) => {
  const { session } = await http2Stream(context, 'dropped');
  session.destroy();
  assert.is((await endOf(context, 'dropped')).reason, 'cancelled');
});

test("a grpc-js client's cancel (END_STREAM, then RST_STREAM) is logged once, as the client's doing", async (context) => {
  const client = context.ads.client(envoyNode('grpc-js-canceller', 'sidecar'));
  client.request(TypeUrl.Cluster, []);
  await waitFor('the server to know the client', () => context.ads.server.streams().some((s) => s.nodeId === 'grpc-js-canceller'));
  client.close();
  const line = await endOf(context, 'grpc-js-canceller');
  assert.ok(line.reason === 'end' || line.reason === 'cancelled', String(line.reason));
  assert.is(line.class, 'sidecar');
  assert.is(line.userAgent, 'envoy');
});

test('a bad request ends the stream from the server: one warning, reason bad-request, with the details', async (context) => {
  const client = context.ads.client(grpcNode('confused'));
  client.request('', ['x']);
  assert.is((await client.ended).code, grpc.status.INVALID_ARGUMENT);
  const line = await endOf(context, 'confused', 'warn');
  assert.is(line.reason, 'bad-request');
  assert.match(String(line.details), 'type_url is required');
});

test('a client that does not read is cut off: reason not-reading', async () => {
  const ads = await AdsFixture.start({ maxPendingResponseBytes: 1 });
  const log = captureLog();
  try {
    ads.set(handBuiltSnapshot([a, probe]));
    const client = ads.client(grpcNode('stuck'));
    client.request(TypeUrl.Endpoint, [clusterName(a.target)]);
    assert.is((await client.ended).code, grpc.status.RESOURCE_EXHAUSTED);
    await waitFor('the end of the stream', () => disconnects(log, 'stuck').length > 0);
    const lines = disconnects(log, 'stuck');
    assert.is(lines.length, 1);
    assert.is(lines[0]!.reason, 'not-reading');
    assert.is(lines[0]!.level, 'warn');
  } finally {
    log.restore();
    await ads.stop();
  }
});

test('streams open at shutdown: reason shutdown', async (context) => {
  const client = context.ads.client(grpcNode('at-shutdown'));
  client.request(TypeUrl.Endpoint, [clusterName(a.target)]);
  await client.nextOf(TypeUrl.Endpoint);
  await context.ads.stop();
  const lines = disconnects(context.log, 'at-shutdown');
  assert.is(lines.length, 1);
  assert.is(lines[0]!.reason, 'shutdown');
});

test.run();
