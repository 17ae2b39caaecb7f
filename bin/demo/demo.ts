// `kube-xds demo`: the classic experiment, no cluster needed. A control plane on the file
// source, five gRPC backends on 127.0.0.2-6, a proxyless xDS client, and a client pinned to
// one backend the way a ClusterIP Service leaves a gRPC connection. Start with one backend,
// scale to five by rewriting the EndpointSlice manifest, and compare where calls land.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { setLogLevel } from '../../common/log.ts';
import { grpcBootstrap } from '../../envoy-config/bootstrap-grpc.ts';
import { parseFlags } from '../flags.ts';
import { ControlPlane, serveConfig, serveFlags } from '../serve.ts';
import { callHello, EchoClient, startEchoBackend, type EchoBackend } from './echo.ts';
import { demoManifests } from './manifests.ts';

const target = 'echo.demo.svc.cluster.local:50051';
const addresses = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'];
const callsPerRound = 500;

export async function runDemo(print: (line: string) => void = (line) => process.stdout.write(line + '\n')): Promise<number> {
  setLogLevel('warn');
  const dir = await mkdtemp(join(tmpdir(), 'kube-xds-demo-'));
  const backends: EchoBackend[] = [];
  const clients: grpc.Client[] = [];
  let controlPlane: ControlPlane | undefined;
  try {
    print('kube-xds demo: per-call balancing over xDS vs one pinned connection');
    backends.push(await startEchoBackend('pod-1', addresses[0]!));
    const port = backends[0]!.port;
    for (const [i, address] of addresses.slice(1).entries()) backends.push(await startEchoBackend(`pod-${i + 2}`, address, port));
    print(`  started 5 gRPC backends pod-1..pod-5 on 127.0.0.2-6, port ${port}`);

    const manifest = join(dir, 'echo.yaml');
    await writeFile(manifest, demoManifests(backends.slice(0, 1)));
    const config = serveConfig(parseFlags(serveFlags, ['--source', `file:${dir}`, '--xds-address', '127.0.0.1:0', '--admin-address', '127.0.0.1:0', '--log-level', 'warn'], {}));
    controlPlane = new ControlPlane(config);
    const { ports, synced } = await controlPlane.start();
    await synced;
    print(`  control plane serving ADS on 127.0.0.1:${ports.xds} from ${dir} (1 endpoint)`);

    const bootstrapFile = join(dir, 'bootstrap.json');
    await writeFile(bootstrapFile, JSON.stringify(grpcBootstrap({ serverUri: `127.0.0.1:${ports.xds}`, nodeId: 'demo-client' })));
    process.env.GRPC_XDS_BOOTSTRAP = bootstrapFile;
    grpcXds.register();
    const xdsClient = new EchoClient(`xds:///${target}`, grpc.credentials.createInsecure());
    const pinnedClient = new EchoClient(`${addresses[0]}:${port}`, grpc.credentials.createInsecure());
    clients.push(xdsClient, pinnedClient);
    print(`  xDS client dials xds:///${target}; ClusterIP-style client holds one connection to pod-1`);

    print(`\nRound 1: one backend, ${callsPerRound} calls each`);
    printTable(print, await countCalls(xdsClient, callsPerRound), await countCalls(pinnedClient, callsPerRound));

    print('\nScaling to 5 backends: rewriting the EndpointSlice manifest');
    const scaledAt = performance.now();
    await writeFile(manifest, demoManifests(backends));
    const seen = new Set<string>();
    while (seen.size < backends.length) {
      seen.add(await callHello(xdsClient));
      if (performance.now() - scaledAt > 30_000) throw new Error('the xDS client did not reach every backend within 30 s');
    }
    print(`  the xDS client reached all 5 backends ${Math.round(performance.now() - scaledAt)} ms after the manifest changed`);

    print(`\nRound 2: five backends, ${callsPerRound} calls each`);
    printTable(print, await countCalls(xdsClient, callsPerRound), await countCalls(pinnedClient, callsPerRound));
    print('\nThe pinned client keeps every call on pod-1 (L4 balancing happens once per connection);');
    print('the xDS client spreads calls evenly as soon as the endpoints change.');
    return 0;
  } finally {
    for (const client of clients) client.close();
    await controlPlane?.stop();
    await Promise.all(backends.map((backend) => backend.stop()));
    await rm(dir, { recursive: true, force: true });
  }
}

async function countCalls(client: grpc.Client, count: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const name = await callHello(client);
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

function printTable(print: (line: string) => void, xds: Map<string, number>, pinned: Map<string, number>): void {
  print(`  ${'backend'.padEnd(8)} ${'xDS client'.padStart(11)} ${'ClusterIP-style'.padStart(16)}`);
  for (const name of ['pod-1', 'pod-2', 'pod-3', 'pod-4', 'pod-5']) {
    print(`  ${name.padEnd(8)} ${String(xds.get(name) ?? 0).padStart(11)} ${String(pinned.get(name) ?? 0).padStart(16)}`);
  }
}
