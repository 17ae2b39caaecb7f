// /metrics as Prometheus reads it, from the real stages: a manifest folder, the pipeline and
// the ADS server with raw clients that ACK and NACK. Each value checked is one only the real
// event produces.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TypeUrl } from '../../control-plane/types.ts';
import { userAgentLabelLimit } from '../../ops/metrics.ts';
import { endpoint, service, slice } from '../k8s/fixtures.ts';
import { envoyNode, grpcNode } from '../support/raw-ads-client.ts';
import { waitFor } from '../support/wait.ts';
import { withStack, type Samples, type Stack } from './stack.ts';

const { Cluster: CDS, Endpoint: EDS, Listener: LDS, Route: RDS } = TypeUrl;
const shortNames = { [CDS]: 'CDS', [EDS]: 'EDS', [LDS]: 'LDS', [RDS]: 'RDS' } as const;
const listener = 'web.default.svc.cluster.local:50051';
const cluster = 'outbound|50051||web.default.svc.cluster.local';
const grpcAgent = `${grpcNode().user_agent_name}/${grpcNode().user_agent_version}`;

const webSlice = (...addresses: string[]) => slice('web-1', { service: 'web', endpoints: addresses.map((address) => endpoint(address)) });
const seed = { 'web.yaml': [service('web'), webSlice('10.0.0.1')] };

/** Scrapes until `probe` holds, and returns that scrape. */
function scrapeUntil(stack: Stack, description: string, probe: (samples: Samples) => boolean): Promise<Samples> {
  return waitFor(description, async () => {
    const samples = await stack.scrape();
    return probe(samples) ? samples : undefined;
  });
}

test('every family is exposed with its type: the ones /metrics always had, the new ones, and process metrics', async () => {
  await withStack(seed, async (stack) => {
    const { types } = await stack.scrape();
    const expected: Record<string, string> = {
      // Families of the hand-written /metrics, same names.
      kube_xds_ready: 'gauge',
      kube_xds_source_synced: 'gauge',
      kube_xds_source_connected: 'gauge',
      kube_xds_source_restarts_total: 'counter',
      kube_xds_source_bad_objects_total: 'counter',
      kube_xds_source_rejected_objects: 'gauge',
      kube_xds_source_duplicate_objects: 'gauge',
      kube_xds_services: 'gauge',
      kube_xds_snapshot_flushes_total: 'counter',
      kube_xds_build_failures_total: 'counter',
      kube_xds_conflicting_services: 'gauge',
      kube_xds_streams: 'gauge',
      kube_xds_streams_nacking: 'gauge',
      // New ones.
      kube_xds_endpoints: 'gauge',
      kube_xds_responses_total: 'counter',
      kube_xds_response_bytes_total: 'counter',
      kube_xds_propagation_seconds: 'histogram',
      kube_xds_push_seconds: 'histogram',
      kube_xds_nacks_total: 'counter',
      kube_xds_unresolved_names_total: 'counter',
      kube_xds_unresolved_names: 'gauge',
      kube_xds_stream_closes_total: 'counter',
      kube_xds_limit_exceeded_total: 'counter',
      kube_xds_coalesce_delay_seconds: 'histogram',
      kube_xds_flush_services: 'histogram',
      kube_xds_flush_duration_seconds: 'histogram',
      kube_xds_kubernetes_events_total: 'counter',
      kube_xds_relists_total: 'counter',
      kube_xds_watch_restarts_total: 'counter',
      // prom-client's process and Node.js metrics.
      process_cpu_seconds_total: 'counter',
      process_resident_memory_bytes: 'gauge',
      nodejs_eventloop_lag_seconds: 'gauge',
      nodejs_heap_size_used_bytes: 'gauge',
    };
    for (const [name, type] of Object.entries(expected)) assert.is(types.get(name), type, name);
    const ours = [...types.keys()].filter((name) => name.startsWith('kube_xds_'));
    assert.equal(ours.sort(), Object.keys(expected).filter((name) => name.startsWith('kube_xds_')).sort(), 'no family left undocumented here');
  });
});

test('a model change travels to a client: events, model size, flush, propagation by type, push, responses and bytes', async () => {
  await withStack(seed, async (stack) => {
    let samples = await stack.scrape();
    assert.is(samples.get('kube_xds_ready'), 1);
    assert.is(samples.get('kube_xds_services'), 1);
    assert.is(samples.get('kube_xds_endpoints'), 1);
    assert.is(samples.get('kube_xds_kubernetes_events_total', { kind: 'Service', type: 'ADDED' }), 1);
    assert.is(samples.get('kube_xds_kubernetes_events_total', { kind: 'EndpointSlice', type: 'ADDED' }), 1);
    assert.is(samples.sum('kube_xds_responses_total'), 0);

    const client = stack.client();
    const bytesByType = new Map<string, number>();
    for (const [type, name] of [[CDS, cluster], [EDS, cluster], [LDS, listener], [RDS, listener]] as const) {
      client.request(type, [name]);
      await client.nextOf(type);
      client.request(type, [name]); // ACK
    }
    samples = await stack.scrape();
    for (const type of Object.values(shortNames)) {
      assert.is(samples.get('kube_xds_responses_total', { type }), 1, `${type}: one response`);
      const bytes = samples.get('kube_xds_response_bytes_total', { type }) ?? 0;
      assert.ok(bytes > 0, `${type}: its bytes`);
      bytesByType.set(type, bytes);
      assert.is(samples.get('kube_xds_propagation_seconds_count', { type }), 0, `${type}: answered a request, no change caused it`);
    }
    assert.is(samples.get('kube_xds_streams', { class: 'proxyless', user_agent: grpcAgent, protocol: 'sotw' }), 1);
    assert.is(samples.get('kube_xds_push_seconds_count'), 0);
    assert.is(samples.sum('kube_xds_snapshot_flushes_total'), 0);

    // An endpoint arrives: the fast path, one EDS push to this client.
    await stack.write('web.yaml', service('web'), webSlice('10.0.0.1', '10.0.0.2'));
    const pushed = await client.nextOf(EDS);
    assert.equal(pushed.names, [cluster]);
    client.request(EDS, [cluster]);
    // The push reaches this proxyless client before the flush has reached every class: wait for both.
    samples = await scrapeUntil(stack, 'the push and the flush to be counted', (s) => s.get('kube_xds_push_seconds_count') === 1 && s.sum('kube_xds_snapshot_flushes_total') === 1);
    assert.is(samples.get('kube_xds_kubernetes_events_total', { kind: 'EndpointSlice', type: 'MODIFIED' }), 1);
    assert.is(samples.get('kube_xds_kubernetes_events_total', { kind: 'Service', type: 'MODIFIED' }), 0, 'the Service did not change');
    assert.is(samples.get('kube_xds_endpoints'), 2);
    assert.is(samples.get('kube_xds_snapshot_flushes_total', { endpoints_only: 'true' }), 1);
    assert.is(samples.get('kube_xds_snapshot_flushes_total', { endpoints_only: 'false' }), 0);
    assert.is(samples.get('kube_xds_flush_services_count'), 1);
    assert.is(samples.get('kube_xds_flush_services_sum'), 1, 'one Service changed');
    assert.is(samples.get('kube_xds_flush_duration_seconds_count'), 1);
    assert.is(samples.get('kube_xds_coalesce_delay_seconds_count'), 1);
    assert.is(samples.get('kube_xds_responses_total', { type: 'EDS' }), 2);
    assert.ok(samples.get('kube_xds_response_bytes_total', { type: 'EDS' })! > bytesByType.get('EDS')!, 'the pushed bytes are added');
    assert.is(samples.get('kube_xds_propagation_seconds_count', { type: 'EDS' }), 1);
    for (const type of ['CDS', 'LDS', 'RDS']) {
      assert.is(samples.get('kube_xds_responses_total', { type }), 1, `${type}: nothing pushed`);
      assert.is(samples.get('kube_xds_propagation_seconds_count', { type }), 0, type);
    }
    // One clock from the change's arrival: the push ends after the EDS write, which comes after the coalescing wait.
    const coalesced = samples.get('kube_xds_coalesce_delay_seconds_sum')!;
    const propagated = samples.get('kube_xds_propagation_seconds_sum', { type: 'EDS' })!;
    const push = samples.get('kube_xds_push_seconds_sum')!;
    assert.ok(coalesced > 0 && coalesced <= propagated && propagated <= push, `${coalesced} <= ${propagated} <= ${push}`);
    assert.is(samples.get('kube_xds_propagation_seconds_bucket', { type: 'EDS', le: '+Inf' }), 1);

    // A new Service and a removed one: full flushes, and the model size follows.
    await stack.write('api.yaml', service('api'));
    samples = await scrapeUntil(stack, 'the new Service', (s) => s.get('kube_xds_services') === 2);
    assert.is(samples.get('kube_xds_kubernetes_events_total', { kind: 'Service', type: 'ADDED' }), 2);
    await waitFor('its flush', async () => (await stack.scrape()).get('kube_xds_snapshot_flushes_total', { endpoints_only: 'false' }) === 1);
    await stack.remove('api.yaml');
    samples = await scrapeUntil(stack, 'the Service removed', (s) => s.get('kube_xds_services') === 1);
    assert.is(samples.get('kube_xds_kubernetes_events_total', { kind: 'Service', type: 'DELETED' }), 1);
    assert.ok(samples.get('kube_xds_relists_total', { kind: 'Service' })! >= 4, 'a rescan per change, after the first');
  });
});

test('NACKs by type and user agent, streams nacking, unresolved names, streams by wire format, and stream ends', async () => {
  await withStack(seed, async (stack) => {
    const client = stack.client(grpcNode('nacker'));
    client.request(CDS, [cluster]);
    await client.nextOf(CDS);
    client.request(CDS, [cluster], { error: 'bad cluster' });
    let samples = await scrapeUntil(stack, 'the NACK', (s) => s.sum('kube_xds_nacks_total') === 1);
    assert.is(samples.get('kube_xds_nacks_total', { type: 'CDS', user_agent: grpcAgent }), 1);
    assert.is(samples.get('kube_xds_streams_nacking', { type: 'CDS' }), 1);
    assert.is(samples.get('kube_xds_streams_nacking', { type: 'EDS' }), 0);

    client.request(LDS, ['web.default.svc.cluster.local:5005']);
    samples = await scrapeUntil(stack, 'the unresolved name', (s) => s.get('kube_xds_unresolved_names_total', { type: 'LDS' }) === 1);
    assert.is(samples.get('kube_xds_unresolved_names', { type: 'LDS' }), 1);
    assert.is(samples.get('kube_xds_unresolved_names_total', { type: 'CDS' }), 0);

    const delta = stack.deltaClient(envoyNode('gateway-1'));
    delta.request(CDS, { subscribe: ['*'] });
    const response = await delta.nextOf(CDS);
    delta.nack(response, 'no thanks');
    samples = await scrapeUntil(stack, 'the delta NACK', (s) => s.sum('kube_xds_nacks_total') === 2);
    assert.is(samples.get('kube_xds_nacks_total', { type: 'CDS', user_agent: 'envoy' }), 1);
    assert.is(samples.get('kube_xds_streams_nacking', { type: 'CDS' }), 2);
    assert.is(samples.get('kube_xds_streams', { class: 'proxyless', user_agent: grpcAgent, protocol: 'sotw' }), 1);
    assert.is(samples.get('kube_xds_streams', { class: 'gateway', user_agent: 'envoy', protocol: 'delta' }), 1);
    assert.is(samples.sum('kube_xds_stream_closes_total'), 0);

    client.close();
    samples = await scrapeUntil(stack, 'the first stream gone', (s) => s.sum('kube_xds_streams') === 1);
    assert.is(samples.sum('kube_xds_stream_closes_total'), 1);
    assert.is(samples.get('kube_xds_unresolved_names', { type: 'LDS' }), 0, 'no connected stream asks for it now');
    assert.is(samples.get('kube_xds_unresolved_names_total', { type: 'LDS' }), 1, 'the counter keeps it');
    assert.is(samples.get('kube_xds_streams_nacking', { type: 'CDS' }), 1);
    assert.is(samples.get('kube_xds_nacks_total', { type: 'CDS', user_agent: grpcAgent }), 1);
  });
});

test(`user agents are bounded labels: after ${userAgentLabelLimit} distinct ones, "other"; long ones are cut`, async () => {
  await withStack(seed, async (stack) => {
    const long = 'x'.repeat(500);
    const agents = [long, ...Array.from({ length: userAgentLabelLimit + 2 }, (_, i) => `agent-${i}`)];
    for (const [i, agent] of agents.entries()) {
      const client = stack.client({ ...grpcNode(`node-${i}`), user_agent_name: agent, user_agent_version: '' });
      client.request(CDS, [cluster]);
      await client.nextOf(CDS);
      client.request(CDS, [cluster], { error: 'no' });
      await scrapeUntil(stack, `NACK ${i + 1}`, (s) => s.sum('kube_xds_nacks_total') === i + 1);
    }
    const samples = await stack.scrape();
    const nacks = samples.all('kube_xds_nacks_total');
    const labelled = agents.slice(0, userAgentLabelLimit).map((agent) => agent.slice(0, 64));
    assert.equal(nacks.map((sample) => sample.labels.user_agent).sort(), [...labelled, 'other'].sort());
    assert.is(samples.get('kube_xds_nacks_total', { type: 'CDS', user_agent: 'other' }), agents.length - userAgentLabelLimit);
    for (const agent of labelled) assert.is(samples.get('kube_xds_nacks_total', { type: 'CDS', user_agent: agent }), 1, agent);
    const streams = samples.all('kube_xds_streams');
    assert.is(new Set(streams.map((sample) => sample.labels.user_agent)).size, userAgentLabelLimit + 1);
    assert.is(samples.get('kube_xds_streams', { class: 'proxyless', user_agent: 'other', protocol: 'sotw' }), agents.length - userAgentLabelLimit);
    assert.not.ok(streams.some((sample) => Object.values(sample.labels).some((value) => value.startsWith('node-'))), 'node ids are never labels');
  });
});

test.run();
