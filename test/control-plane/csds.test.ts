// CSDS on a real ADS server: raw xDS clients that ACK, NACK, leave a response unanswered or
// ask for what does not exist, and a generic grpc-js client asking the server about them.
import * as grpc from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { csdsService } from '../../control-plane/csds.ts';
import type { SyncState } from '../../control-plane/stream-status.ts';
import { TypeUrl } from '../../control-plane/types.ts';
import { envoy } from '../../generated/envoy.js';
import { AdsFixture } from '../support/ads-fixture.ts';
import { clusterName, handBuiltSnapshot, routeName, type HandBuiltService } from '../support/hand-built.ts';
import { grpcNode, type RawAdsClient } from '../support/raw-ads-client.ts';
import { waitFor } from '../support/wait.ts';

const { ClientStatusRequest, ClientStatusResponse, ConfigStatus } = envoy.service.status.v3;
const { ClientResourceStatus } = envoy.admin.v3;
type Request = envoy.service.status.v3.ClientStatusRequest.$Properties;
type Response = envoy.service.status.v3.ClientStatusResponse;
type NodeMatcher = envoy.type.matcher.v3.NodeMatcher.$Properties;
const { Cluster: CDS, Endpoint: EDS, Listener: LDS, Route: RDS } = TypeUrl;

const identity = (value: Buffer) => value;
const CsdsClient = grpc.makeGenericClientConstructor(
  Object.fromEntries(
    (['FetchClientStatus', 'StreamClientStatus'] as const).map((name) => {
      const stream = name === 'StreamClientStatus';
      const path = `/envoy.service.status.v3.ClientStatusDiscoveryService/${name}`;
      return [name, { path, requestStream: stream, responseStream: stream, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity }];
    }),
  ),
  'ClientStatusDiscoveryService',
);
type Csds = grpc.Client & {
  FetchClientStatus(request: Buffer, callback: (error: grpc.ServiceError | null, response?: Buffer) => void): grpc.ClientUnaryCall;
  StreamClientStatus(): grpc.ClientDuplexStream<Buffer, Buffer>;
};

const a: HandBuiltService = { target: 'a.ns.svc.cluster.local:50051', endpoints: [{ address: '10.0.0.1', port: 50051 }] };
const b: HandBuiltService = { target: 'b.ns.svc.cluster.local:50051', endpoints: [{ address: '10.0.0.2', port: 50051 }] };

interface Context {
  ads: AdsFixture;
  csds: Csds;
}
const test = suite<Context>('CSDS', {} as Context);

test.before.each(async (context) => {
  // AdsFixture.start without the start: services are added before the server listens.
  const ads = new AdsFixture();
  const csds = csdsService(() => ads.server.clients());
  ads.server.addService(csds.definition, csds.implementation);
  ads.address = `127.0.0.1:${await ads.server.start('127.0.0.1:0')}`;
  ads.set(handBuiltSnapshot([a, b]));
  context.ads = ads;
  context.csds = new CsdsClient(ads.address, grpc.credentials.createInsecure()) as unknown as Csds;
});
test.after.each(async ({ ads, csds }) => {
  csds.close();
  await ads.stop();
});

const encode = (request: Request) => Buffer.from(ClientStatusRequest.encode(request).finish());

function fetchRaw(csds: Csds, bytes: Buffer): Promise<Response> {
  return new Promise((resolve, reject) => csds.FetchClientStatus(bytes, (error, response) => (error ? reject(error) : resolve(ClientStatusResponse.decode(response!)))));
}
const fetch = (csds: Csds, request: Request = {}) => fetchRaw(csds, encode(request));

async function rejection(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as grpc.ServiceError;
  }
  throw new Error('the call succeeded');
}

/** Waits until the server has seen the client's answer to its last response of `type`. */
function settled(ads: AdsFixture, nodeId: string, type: TypeUrl, sync: SyncState) {
  return waitFor(`${nodeId} ${type} to be ${sync}`, () => ads.server.streams().find((s) => s.nodeId === nodeId)?.types.find((t) => t.type === type)?.sync === sync);
}

/** A client that subscribes to a's listener, route, cluster and endpoints and ACKs each. */
async function acker(ads: AdsFixture, id: string): Promise<RawAdsClient> {
  const client = ads.client(grpcNode(id));
  for (const [type, name] of [[LDS, a.target], [RDS, routeName(a.target)], [CDS, clusterName(a.target)], [EDS, clusterName(a.target)]] as const) {
    client.request(type, [name]);
    await client.nextOf(type);
    client.request(type, [name]);
    await settled(ads, id, type, 'SYNCED');
  }
  return client;
}

type Entry = envoy.service.status.v3.ClientConfig.GenericXdsConfig;
const entries = (response: Response, nodeId: string) =>
  response.config.filter((config) => config.node?.id === nodeId).flatMap((config) => config.generic_xds_configs as Entry[]);

test('each client: every resource it holds with its status, config and version', async ({ ads, csds }) => {
  await acker(ads, 'acker');

  const nacker = ads.client(grpcNode('nacker'));
  nacker.request(EDS, [clusterName(a.target), clusterName(b.target)]);
  const eds = await nacker.nextOf(EDS);
  nacker.request(EDS, [clusterName(a.target), clusterName(b.target)], { error: 'bad weight' });
  await settled(ads, 'nacker', EDS, 'NACKED');

  const asker = ads.client(grpcNode('asker'));
  asker.request(CDS, [clusterName(b.target), 'cluster:missing']);
  const cds = await asker.nextOf(CDS);
  await waitFor('the missing name to be reported', () => ads.observed.unresolvedNames.length === 1);

  const response = await fetch(csds);
  assert.equal(response.config.map((config) => config.node?.id).sort(), ['acker', 'asker', 'nacker']);
  assert.is(response.config.find((config) => config.node?.id === 'acker')?.node?.user_agent_name, 'gRPC Node', 'the node is the one the client sent');

  const acked = entries(response, 'acker');
  assert.equal(acked.map((entry) => [entry.type_url, entry.name]), [
    [CDS, clusterName(a.target)],
    [EDS, clusterName(a.target)],
    [LDS, a.target],
    [RDS, routeName(a.target)],
  ]);
  for (const entry of acked) {
    assert.is(entry.config_status, ConfigStatus.SYNCED, entry.name);
    assert.is(entry.client_status, ClientResourceStatus.ACKED, entry.name);
    assert.is(entry.error_state, null, entry.name);
    assert.is(entry.version_info, ads.cache.get('proxyless')!.resources(entry.type_url as TypeUrl).get(entry.name)!.version);
  }

  const nacked = entries(response, 'nacker');
  assert.equal(nacked.map((entry) => entry.name), [clusterName(a.target), clusterName(b.target)]);
  for (const entry of nacked) {
    assert.is(entry.config_status, ConfigStatus.ERROR);
    assert.is(entry.client_status, ClientResourceStatus.NACKED);
    assert.is(entry.error_state?.details, 'bad weight');
    assert.is(entry.error_state?.version_info, eds.version);
    const at = Number(entry.error_state?.last_update_attempt?.seconds) * 1000;
    const nackedAt = ads.server.streams().find((s) => s.nodeId === 'nacker')!.types[0]!.lastNack!.at.getTime();
    assert.is(at, Math.floor(nackedAt / 1000) * 1000);
    // The rejected content is what the client was sent.
    const sent = eds.resources[eds.names.indexOf(entry.name)]!;
    assert.is(entry.xds_config?.type_url, EDS);
    assert.equal(Buffer.from(entry.xds_config!.value!), Buffer.from(sent.value!));
  }

  const asked = entries(response, 'asker');
  assert.equal(asked.map((entry) => [entry.name, entry.config_status, entry.client_status]), [
    [clusterName(b.target), ConfigStatus.STALE, ClientResourceStatus.UNKNOWN], // sent, not answered yet
    ['cluster:missing', ConfigStatus.NOT_SENT, ClientResourceStatus.DOES_NOT_EXIST],
  ]);
  assert.is(asked[0]!.version_info, ads.cache.get('proxyless')!.resources(CDS).get(clusterName(b.target))!.version);
  assert.equal(Buffer.from(asked[0]!.xds_config!.value!), Buffer.from(cds.resources[0]!.value!));
  assert.is(asked[1]!.xds_config, null, 'nothing to show for a name that does not exist');
});

test('exclude_resource_contents leaves the configs out and keeps the statuses', async ({ ads, csds }) => {
  await acker(ads, 'acker');
  const all = entries(await fetch(csds, { exclude_resource_contents: true }), 'acker');
  assert.is(all.length, 4);
  for (const entry of all) {
    assert.is(entry.xds_config, null);
    assert.is(entry.config_status, ConfigStatus.SYNCED);
  }
});

test('node matchers select clients by node id, any matcher may match', async ({ ads, csds }) => {
  for (const id of ['gw-east-1', 'gw-west-1', 'app-east-2']) await acker(ads, id);
  const ids = async (...node_matchers: NodeMatcher[]) => (await fetch(csds, { node_matchers })).config.map((config) => config.node!.id).sort();
  assert.equal(await ids(), ['app-east-2', 'gw-east-1', 'gw-west-1'], 'no matcher: every client');
  assert.equal(await ids({}), ['app-east-2', 'gw-east-1', 'gw-west-1'], 'a matcher without node_id matches every node');
  assert.equal(await ids({ node_id: { exact: 'gw-west-1' } }), ['gw-west-1']);
  assert.equal(await ids({ node_id: { exact: 'GW-WEST-1' } }), []);
  assert.equal(await ids({ node_id: { exact: 'GW-WEST-1', ignore_case: true } }), ['gw-west-1']);
  assert.equal(await ids({ node_id: { prefix: 'gw-' } }), ['gw-east-1', 'gw-west-1']);
  assert.equal(await ids({ node_id: { suffix: '-1' } }), ['gw-east-1', 'gw-west-1']);
  assert.equal(await ids({ node_id: { contains: 'east' } }), ['app-east-2', 'gw-east-1']);
  assert.equal(await ids({ node_id: { safe_regex: { regex: '.*-[0-9]' } } }), ['app-east-2', 'gw-east-1', 'gw-west-1']);
  assert.equal(await ids({ node_id: { safe_regex: { regex: 'east' } } }), [], 'a regex matches the whole id');
  assert.equal(await ids({ node_id: { exact: 'gw-west-1' } }, { node_id: { prefix: 'app-' } }), ['app-east-2', 'gw-west-1']);
  assert.equal(await ids({ node_id: { exact: 'nobody' } }), []);
});

test('two streams of one node id are two client configs; a stream without a node yet is left out', async ({ ads, csds }) => {
  await acker(ads, 'twice');
  await acker(ads, 'twice');
  const silent = ads.client(grpcNode('silent'));
  silent.sendRaw(new Uint8Array()); // an empty request: no node, ends that stream
  await waitFor('the silent stream to end', () => ads.observed.closed.length === 1);
  ads.client(grpcNode('not-yet')).pause(); // connected, nothing sent
  await waitFor('the quiet stream to be accepted', () => ads.server.clients().length === 3);
  const response = await fetch(csds);
  assert.equal(response.config.map((config) => config.node!.id), ['twice', 'twice']);
});

test('bad requests get INVALID_ARGUMENT or UNIMPLEMENTED for that call alone', async ({ ads, csds }) => {
  await acker(ads, 'acker');
  const malformed = await rejection(fetchRaw(csds, Buffer.from([0x0a, 0x05, 0x0a])));
  assert.is(malformed.code, grpc.status.INVALID_ARGUMENT);
  assert.match(malformed.details, /malformed ClientStatusRequest/);
  const badRegex = await rejection(fetch(csds, { node_matchers: [{ node_id: { safe_regex: { regex: '(' } } }] }));
  assert.is(badRegex.code, grpc.status.INVALID_ARGUMENT);
  assert.match(badRegex.details, /node_matchers\[0\]\.node_id\.safe_regex/);
  // On a backtracking engine these would take minutes against a long id; here they are refused or run in linear time.
  const backreference = await rejection(fetch(csds, { node_matchers: [{ node_id: { safe_regex: { regex: '(a)\\1' } } }] }));
  assert.is(backreference.code, grpc.status.INVALID_ARGUMENT);
  assert.match(backreference.details, /linear time/);
  const longId = 'a'.repeat(64);
  await acker(ads, longId);
  const exponential = await fetch(csds, { node_matchers: [{ node_id: { safe_regex: { regex: '(a|aa)*c' } } }] });
  assert.equal(exponential.config, [], `exponential for a backtracking engine against "${longId}", answered`);
  const empty = await rejection(fetch(csds, { node_matchers: [{ node_id: {} }] }));
  assert.is(empty.code, grpc.status.INVALID_ARGUMENT);
  assert.match(empty.details, /no pattern/);
  const metadata = await rejection(fetch(csds, { node_matchers: [{ node_metadatas: [{ path: [{ key: 'role' }], value: { present_match: true } }] }] }));
  assert.is(metadata.code, grpc.status.UNIMPLEMENTED);
  assert.match(metadata.details, /node_metadatas/);
  assert.equal((await fetch(csds)).config.map((config) => config.node!.id), ['acker', longId], 'the server still answers');
});

test('StreamClientStatus answers each request; a bad one ends that stream only', async ({ ads, csds }) => {
  await acker(ads, 'acker');
  const call = csds.StreamClientStatus();
  const answers: Response[] = [];
  call.on('data', (bytes: Buffer) => answers.push(ClientStatusResponse.decode(bytes)));
  const ended = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  call.on('error', () => {});
  call.write(encode({}));
  await waitFor('the first answer', () => answers.length === 1);
  assert.equal(answers[0]!.config.map((config) => config.node!.id), ['acker']);
  await acker(ads, 'later');
  call.write(encode({ node_matchers: [{ node_id: { exact: 'later' } }] }));
  await waitFor('the second answer', () => answers.length === 2);
  assert.equal(answers[1]!.config.map((config) => config.node!.id), ['later']);
  call.write(Buffer.from([0xff]));
  const status = await ended;
  assert.is(status.code, grpc.status.INVALID_ARGUMENT);
  assert.is(answers.length, 2);

  const other = csds.StreamClientStatus();
  const otherAnswers: Response[] = [];
  other.on('data', (bytes: Buffer) => otherAnswers.push(ClientStatusResponse.decode(bytes)));
  const otherEnded = new Promise<grpc.StatusObject>((resolve) => other.on('status', resolve));
  other.write(encode({}));
  await waitFor('an answer on another stream', () => otherAnswers.length === 1);
  assert.is(otherAnswers[0]!.config.length, 2);
  other.end();
  assert.is((await otherEnded).code, grpc.status.OK, 'the client closing its side ends the stream with OK');
});

test.run();
