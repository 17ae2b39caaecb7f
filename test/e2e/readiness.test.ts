// Until the first sync the control plane is alive but not ready, and answers no LDS/CDS:
// an empty full-state response would delete every listener and cluster a client holds.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TypeUrl } from '../../control-plane/types.ts';
import { envoyNode, RawAdsClient } from '../support/raw-ads-client.ts';
import { waitFor } from '../support/wait.ts';
import { Cluster } from './support.ts';

test('with the API server down at start: /healthz 200, /readyz 503, requests held; then ready and answered', async () => {
  const cluster = await Cluster.start();
  await cluster.api.goDown();
  const controlPlane = cluster.controlPlane();
  const { ports, synced } = await controlPlane.start();
  const client = new RawAdsClient(`127.0.0.1:${ports.xds}`, envoyNode('gw', 'gateway'));
  try {
    const status = async (path: string) => (await fetch(`http://127.0.0.1:${ports.admin}${path}`)).status;
    assert.is(await status('/healthz'), 200);
    assert.is(await status('/readyz'), 503);
    client.request(TypeUrl.Cluster, []);
    await waitFor('the CDS request to reach the server', () => controlPlane.status().streams[0]?.types.length === 1);
    assert.is(client.pending(), 0, 'no CDS answer before the first sync');

    cluster.setPods(['ready']);
    await cluster.api.comeUp();
    await synced;
    const cds = await client.nextOf(TypeUrl.Cluster);
    assert.equal(cds.names, ['outbound|50051||echo.demo.svc.cluster.local']);
    assert.is(await status('/readyz'), 200);
  } finally {
    client.close();
    await controlPlane.stop();
    await cluster.stop();
  }
});

test.run();
