// /debug/activity's record from the real stages: pushes of real model changes, NACKs and
// unresolved names from raw clients, newest first and bounded.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TypeUrl } from '../../control-plane/types.ts';
import { activityKept, RecentActivity, type ActivityView } from '../../ops/activity.ts';
import { endpoint, service, slice } from '../k8s/fixtures.ts';
import { grpcNode } from '../support/raw-ads-client.ts';
import { waitFor } from '../support/wait.ts';
import { withStack } from './stack.ts';

const { Cluster: CDS, Endpoint: EDS, Listener: LDS } = TypeUrl;
const cluster = 'outbound|50051||web.default.svc.cluster.local';
const listener = 'web.default.svc.cluster.local:50051';
const webSlice = (...addresses: string[]) => slice('web-1', { service: 'web', endpoints: addresses.map((address) => endpoint(address)) });
const seed = { 'web.yaml': [service('web'), webSlice('10.0.0.1')] };

/** As the admin endpoint sends it. */
const view = (activity: RecentActivity): ActivityView => JSON.parse(JSON.stringify(activity)) as ActivityView;

test('NACKs newest first, with the client, its class, the version rejected and the message', async () => {
  await withStack(seed, async (stack) => {
    const client = stack.client(grpcNode('shop/web-7'));
    client.request(CDS, [cluster]);
    const first = await client.nextOf(CDS);
    client.request(CDS, [cluster], { error: 'first complaint' });
    client.request(CDS, [cluster], { error: 'second complaint' });
    await waitFor('both NACKs', () => stack.activity.toJSON().nacks.length === 2);
    const [stream] = stack.ads.streams();
    const { nacks } = view(stack.activity);
    assert.equal(
      nacks.map(({ at, ...rest }) => rest),
      ['second complaint', 'first complaint'].map((message) => ({
        stream: stream!.id,
        nodeId: 'shop/web-7',
        userAgent: stream!.userAgent,
        class: 'proxyless',
        type: 'CDS',
        version: first.version,
        message,
      })),
    );
    assert.is(stream!.userAgent, 'gRPC Node/1.14.1');
    assert.is(nacks[0]!.at, stream!.types[0]!.lastNack!.at.toISOString(), 'when the server recorded it');
  });
});

test('unresolved names with their suggestions, and pushes oldest first with their time and streams reached', async () => {
  await withStack(seed, async (stack) => {
    const client = stack.client();
    client.request(LDS, ['web.default.svc.cluster.local:5005']);
    await waitFor('the unresolved name', () => stack.activity.toJSON().unresolved.length === 1);
    const [stream] = stack.ads.streams();
    const reported = stream!.types.find((type) => type.type === LDS)!.unresolved;
    const [entry] = view(stack.activity).unresolved;
    assert.equal({ ...entry, at: undefined }, {
      at: undefined,
      stream: stream!.id,
      nodeId: 'test-client',
      type: 'LDS',
      name: 'web.default.svc.cluster.local:5005',
      didYouMean: reported[0]!.didYouMean,
    });
    assert.ok(entry!.didYouMean.includes(listener), 'the close name is suggested');

    assert.equal(stack.activity.toJSON().pushes, [], 'answers to requests are not pushes');
    client.request(EDS, [cluster]);
    await client.nextOf(EDS);
    client.request(EDS, [cluster]);
    for (const address of ['10.0.0.2', '10.0.0.3']) {
      await stack.write('web.yaml', service('web'), webSlice('10.0.0.1', address));
      await client.nextOf(EDS);
      client.request(EDS, [cluster]);
    }
    await waitFor('two pushes', () => stack.activity.toJSON().pushes.length === 2);
    const { pushes } = view(stack.activity);
    assert.equal(pushes.map((push) => push.streams), [1, 1]);
    assert.ok(Date.parse(pushes[0]!.at) <= Date.parse(pushes[1]!.at), 'oldest first');
    // The same pushes the metrics saw.
    const samples = await stack.scrape();
    assert.is(samples.get('kube_xds_push_seconds_count'), 2);
    assert.ok(Math.abs(samples.get('kube_xds_push_seconds_sum')! - (pushes[0]!.ms + pushes[1]!.ms) / 1000) < 1e-9);
  });
});

test(`only the last ${activityKept.nacks} NACKs are kept`, async () => {
  await withStack(seed, async (stack) => {
    const client = stack.client();
    client.request(CDS, [cluster]);
    await client.nextOf(CDS);
    const sent = activityKept.nacks + 10;
    for (let i = 0; i < sent; i++) client.request(CDS, [cluster], { error: `complaint ${i}` });
    await waitFor('every NACK', () => stack.ads.streams()[0]?.types[0]?.nacks === sent);
    const messages = stack.activity.toJSON().nacks.map((nack) => nack.message);
    assert.equal(messages, Array.from({ length: activityKept.nacks }, (_, i) => `complaint ${sent - 1 - i}`));
  });
});

test(`only the last ${activityKept.pushes} pushes are kept, oldest first`, () => {
  const activity = new RecentActivity();
  const pushed = activityKept.pushes + 7;
  for (let i = 0; i < pushed; i++) activity.pushed(i, 1);
  const { pushes } = activity.toJSON();
  assert.equal(pushes.map((push) => push.ms), Array.from({ length: activityKept.pushes }, (_, i) => i + 7));
});

test.run();
