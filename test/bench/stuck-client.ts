// A client that stops reading (issue 11's backpressure): the real CLI against the fake API
// server, one Service with 1,000 endpoints (an endpoints response of about 30 KB), a stream
// that keeps reading and one that stops after its first response. Changes keep coming: the
// server must cut the stuck stream off once its unread responses pass the ADS server's limit
// (32 MiB per stream), without delaying the healthy stream or growing beyond that.
import * as grpc from '@grpc/grpc-js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TypeUrl } from '../../control-plane/types.ts';
import { FakeApiServer } from '../support/fake-apiserver.ts';
import { grpcNode, RawAdsClient } from '../support/raw-ads-client.ts';
import { nameOf, namesOf, servicePort } from './fleet-resources.ts';
import { serviceObject, sliceObject } from './k8s-objects.ts';
import { ServeProcess } from './serve-process.ts';
import { heading, note, now, percentileCells, percentileHeader, table } from './stats.ts';

const namespace = 'stuck';
const service = 'big';
const endpoints = 1_000; // the most one EndpointSlice may hold
const targetPort = 8080;

export async function run(options: { quick: boolean }): Promise<void> {
  const changes = options.quick ? 40 : 1_500;
  heading(`a client that stops reading: ${changes} endpoint changes of a ${endpoints}-endpoint Service, one stream stuck`);
  const api = await FakeApiServer.start();
  const dir = await mkdtemp(join(tmpdir(), 'kube-xds-stuck-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await api.writeKubeconfig(kubeconfig);
  api.apply('services', serviceObject(namespace, service, servicePort));
  api.apply('endpointslices', sliceObject(namespace, service, addressesAt(0), targetPort));
  const server = await ServeProcess.start(['--kubeconfig', kubeconfig]);
  const eds = nameOf(namesOf(namespace, service), TypeUrl.Endpoint);
  const healthy = new RawAdsClient(server.xdsAddress, grpcNode('healthy'));
  const stuck = new RawAdsClient(server.xdsAddress, grpcNode('stuck'));
  try {
    for (const client of [healthy, stuck]) {
      client.request(TypeUrl.Endpoint, [eds]);
      await client.nextOf(TypeUrl.Endpoint);
    }
    stuck.pause();
    const rssBefore = server.memory().rssMb;
    const latency = { stuck: [] as number[], cutOff: [] as number[] };
    let cutOffAt: number | undefined;
    let rssMax = rssBefore;
    for (let g = 1; g <= changes; g++) {
      const start = now();
      api.apply('endpointslices', sliceObject(namespace, service, addressesAt(g), targetPort));
      await healthy.nextOf(TypeUrl.Endpoint);
      healthy.request(TypeUrl.Endpoint, [eds]); // the ACK
      (cutOffAt === undefined ? latency.stuck : latency.cutOff).push(now() - start);
      rssMax = Math.max(rssMax, server.memory().rssMb);
      if (cutOffAt === undefined && (await notReadingCloses(server)) > 0) cutOffAt = g;
    }
    stuck.resume();
    const status = cutOffAt === undefined ? undefined : await stuck.ended;
    console.log(
      table(
        ['healthy stream, change -> EDS', ...percentileHeader],
        [
          ['while the other stream is stuck', ...percentileCells(latency.stuck)],
          ['after it was cut off', ...(latency.cutOff.length > 0 ? percentileCells(latency.cutOff) : percentileHeader.map(() => '-'))],
        ],
      ),
    );
    console.log(status ? `  the stuck stream was cut off at change ${cutOffAt} of ${changes}: ${grpc.status[status.code]} "${status.details}"` : `  the stuck stream was not cut off in ${changes} changes`);
    console.log(`  server VmRSS ${rssBefore.toFixed(0)} MiB before, at most ${rssMax.toFixed(0)} MiB (+${(rssMax - rssBefore).toFixed(0)} MiB)`);
    note('Latency: the EndpointSlice applied -> the healthy stream has the EDS carrying it.');
  } finally {
    healthy.close();
    stuck.close();
    await server.stop();
    await api.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function notReadingCloses(server: ServeProcess): Promise<number> {
  const body = await (await fetch(`${server.adminUrl}/metrics`)).text();
  const match = /^kube_xds_stream_closes_total\{[^}]*reason="not-reading"[^}]*\} (\S+)$/m.exec(body);
  return match ? Number(match[1]) : 0;
}

/** 1,000 addresses, different from one generation to the next. */
function addressesAt(generation: number): string[] {
  return Array.from({ length: endpoints }, (_, i) => `10.${generation % 250}.${i >> 8}.${i & 255}`);
}
