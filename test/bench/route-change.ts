// A canary weight change (issue 13): a GRPCRoute's weights edited at the API server -> the
// RouteConfiguration carrying them received by a proxyless client of the real CLI. A Route
// change is a model change of its parent Service, rebuilt alone, like an endpoint change.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TypeUrl } from '../../control-plane/types.ts';
import { backend, grpcRoute, serviceParent } from '../k8s/fixtures.ts';
import { FakeApiServer } from '../support/fake-apiserver.ts';
import { grpcNode, RawAdsClient } from '../support/raw-ads-client.ts';
import { serviceObject } from './k8s-objects.ts';
import { ServeProcess } from './serve-process.ts';
import { heading, note, now, percentileCells, percentileHeader, table } from './stats.ts';

const namespace = 'demo';
const port = 50051;

export async function run(options: { quick: boolean }): Promise<void> {
  const changes = options.quick ? 10 : 200;
  heading(`a canary weight change: ${changes} edits of a GRPCRoute splitting echo across two Services`);
  const api = await FakeApiServer.start();
  const dir = await mkdtemp(join(tmpdir(), 'kube-xds-route-change-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await api.writeKubeconfig(kubeconfig);
  for (const name of ['echo', 'echo-canary']) api.apply('services', serviceObject(namespace, name, port));
  api.installRouteCrds();
  api.apply('grpcroutes', split(10));
  const server = await ServeProcess.start(['--kubeconfig', kubeconfig]);
  const client = new RawAdsClient(server.xdsAddress, grpcNode('canary-watcher'));
  const routeConfig = `echo.${namespace}.svc.cluster.local:${port}`;
  try {
    client.request(TypeUrl.Route, [routeConfig]);
    await client.nextOf(TypeUrl.Route);
    const latencies: number[] = [];
    for (let i = 0; i < changes; i++) {
      const start = now();
      api.apply('grpcroutes', split(11 + (i % 80)));
      await client.nextOf(TypeUrl.Route);
      latencies.push(now() - start);
      client.request(TypeUrl.Route, [routeConfig]);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    console.log(table(['GRPCRoute weights edited -> RDS at the client', ...percentileHeader], [['one proxyless stream', ...percentileCells(latencies)]]));
    note('One change at a time, 20 ms apart, so each is a flush of its own.');
  } finally {
    client.close();
    await server.stop();
    await api.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** echo's calls split (100 - canary) / canary between echo and echo-canary. */
function split(canary: number) {
  return grpcRoute('echo-split', {
    namespace,
    parentRefs: [serviceParent('echo')],
    rules: [{ backendRefs: [backend('echo', port, { weight: 100 - canary }), backend('echo-canary', port, { weight: canary })] }],
  });
}
