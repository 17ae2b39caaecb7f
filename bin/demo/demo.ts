// `kube-xds demo`: the classic experiment, no cluster needed. A control plane on the file
// source, five gRPC backends on 127.0.0.2-6, a proxyless xDS client, and a client pinned to
// one backend the way a ClusterIP Service leaves a gRPC connection; when Envoy is installed,
// also a plain gRPC client holding one connection to a real Envoy gateway. Start with one
// backend, scale to five by rewriting the EndpointSlice manifest, and compare where calls land.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { setLogLevel } from '../../common/log.ts';
import { grpcBootstrap } from '../../envoy-config/bootstrap-grpc.ts';
import { parseFlags } from '../flags.ts';
import { ControlPlane, serveConfig, serveFlags } from '../serve.ts';
import { callHello, EchoClient, startEchoBackend, type EchoBackend } from './echo.ts';
import { EnvoyGateway } from './envoy-gateway.ts';
import { freePort } from './free-port.ts';
import { findEnvoy } from './find-envoy.ts';
import { demoManifests } from './manifests.ts';

const target = 'echo.demo.svc.cluster.local:50051';
const addresses = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'];
const callsPerRound = 500;

type Print = (line: string) => void;

/** What the demo started, for the cleanup. */
interface Running {
  readonly backends: EchoBackend[];
  readonly clients: grpc.Client[];
  xdsClient?: grpc.Client;
  controlPlane?: ControlPlane;
  envoy?: EnvoyGateway;
}

/** Why the demo stopped early: the output was closed (`| head`) or a signal came. */
class Stopped extends Error {
  readonly exitCode: number;
  constructor(reason: string, exitCode: number) {
    super(reason);
    this.exitCode = exitCode;
  }
}

/**
 * Runs the demo, printing to `out`. Whatever happens (a failure, SIGINT/SIGTERM, `out`
 * closed early) the backends, the control plane, Envoy and the temporary folder are gone
 * when it returns.
 */
export async function runDemo(out: NodeJS.WritableStream = process.stdout, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  setLogLevel('warn');
  const stop = new AbortController();
  // `kube-xds demo | head -3`: once the reader is gone, writes fail with EPIPE. Stop quietly.
  const onOutputError = () => stop.abort(new Stopped('output closed', 0));
  const onSignal = (signal: NodeJS.Signals) => stop.abort(new Stopped(`interrupted by ${signal}`, 128 + (constants.signals[signal] ?? 0)));
  out.on('error', onOutputError);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const print: Print = (line) => {
    stop.signal.throwIfAborted();
    out.write(`${line}\n`);
  };
  const running: Running = { backends: [], clients: [] };
  let dir: string | undefined;
  try {
    dir = await mkdtemp(join(tmpdir(), 'kube-xds-demo-'));
    await experiment(print, dir, running, stop.signal, env);
    return 0;
  } catch (error) {
    if (stop.signal.reason instanceof Stopped) return stop.signal.reason.exitCode;
    throw error;
  } finally {
    if (running.xdsClient) await settleXdsClient(running.xdsClient);
    for (const client of running.clients) client.close();
    await running.envoy?.stop();
    await running.controlPlane?.stop();
    await Promise.all(running.backends.map((backend) => backend.stop()));
    if (dir) await rm(dir, { recursive: true, force: true });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    out.off('error', onOutputError);
  }
}

async function experiment(print: Print, dir: string, running: Running, signal: AbortSignal, env: NodeJS.ProcessEnv): Promise<void> {
  print('kube-xds demo: per-call balancing over xDS vs one pinned connection');
  const startBackends = async () => {
    running.backends.push(await startEchoBackend('pod-1', addresses[0]!));
    const port = running.backends[0]!.port;
    for (const [i, address] of addresses.slice(1).entries()) running.backends.push(await startEchoBackend(`pod-${i + 2}`, address, port));
  };
  const [envoy] = await Promise.all([findEnvoy(env), startBackends()]);
  const { backends } = running;
  const port = backends[0]!.port;
  if (envoy.found) print(`  Envoy ${envoy.version} at ${envoy.path}`);
  else for (const line of envoy.message.split('\n')) print(`  ${line}`);
  print(`  started 5 gRPC backends pod-1..pod-5 on 127.0.0.2-6, port ${port}`);
  print(`  (pods listen on ${port}; clients dial the Service port 50051, which the EndpointSlice maps to ${port},`);
  print('   as a Service port maps to a targetPort in a cluster)');

  const manifests = join(dir, 'manifests');
  await mkdir(manifests);
  const manifest = join(manifests, 'echo.yaml');
  await writeFile(manifest, demoManifests(backends.slice(0, 1)));
  const gatewayPort = envoy.found ? await freePort() : undefined;
  const flags = ['--source', `file:${manifests}`, '--xds-address', '127.0.0.1:0', '--admin-address', '127.0.0.1:0', '--probe-address', '127.0.0.1:0', '--log-level', 'warn'];
  if (gatewayPort !== undefined) flags.push('--gateway-port', String(gatewayPort));
  running.controlPlane = new ControlPlane(serveConfig(parseFlags(serveFlags, flags, {})));
  const { ports, synced } = await running.controlPlane.start();
  await synced;
  print(`  control plane serving ADS on 127.0.0.1:${ports.xds} from ${manifests} (1 endpoint)`);

  // Envoy starts while the proxyless clients are set up.
  const envoyStartedAt = performance.now();
  if (envoy.found && gatewayPort !== undefined) {
    signal.throwIfAborted();
    running.envoy = await EnvoyGateway.start({ path: envoy.path, dir, nodeId: 'demo-gateway', xdsPort: ports.xds!, gatewayPort, adminPort: await freePort() });
  }

  const bootstrapFile = join(dir, 'bootstrap.json');
  await writeFile(bootstrapFile, JSON.stringify(grpcBootstrap({ serverUri: `127.0.0.1:${ports.xds}`, nodeId: 'demo-client' })));
  process.env.GRPC_XDS_BOOTSTRAP = bootstrapFile;
  grpcXds.register();
  const xdsClient = new EchoClient(`xds:///${target}`, grpc.credentials.createInsecure());
  const pinnedClient = new EchoClient(`${addresses[0]}:${port}`, grpc.credentials.createInsecure());
  running.xdsClient = xdsClient;
  running.clients.push(xdsClient, pinnedClient);
  print(`  xDS client dials xds:///${target}; ClusterIP-style client holds one connection to pod-1`);

  let envoyClient: grpc.Client | undefined;
  if (running.envoy) {
    const gateway = running.envoy;
    // The client is made once the listener accepts connections, so its first connection
    // attempt succeeds rather than backing off.
    const client = () => {
      if (!envoyClient) {
        envoyClient = new EchoClient(`127.0.0.1:${gateway.gatewayPort}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': target });
        running.clients.push(envoyClient);
      }
      return envoyClient;
    };
    await gateway.waitUntilServing(() => callHello(client(), 1_000), { signal });
    print(`  Envoy gateway (node demo-gateway, admin on 127.0.0.1:${gateway.adminPort}) serving on port ${gateway.gatewayPort}, ${Math.round(performance.now() - envoyStartedAt)} ms after it started`);
    print(`  Envoy client: a plain grpc-js client with one connection to the gateway, authority ${target}`);
  }
  const clients = envoyClient ? [xdsClient, envoyClient, pinnedClient] : [xdsClient, pinnedClient];
  const headers = envoyClient ? ['xDS client', 'via Envoy', 'ClusterIP-style'] : ['xDS client', 'ClusterIP-style'];

  print(`\nRound 1: one backend, ${callsPerRound} calls each`);
  printTable(print, headers, await Promise.all(clients.map((client) => countCalls(client, callsPerRound, signal))));

  print('\nScaling to 5 backends: rewriting the EndpointSlice manifest');
  const scaledAt = performance.now();
  await writeFile(manifest, demoManifests(backends));
  const reachAll = async (client: grpc.Client, who: string) => {
    const seen = new Set<string>();
    while (seen.size < backends.length) {
      signal.throwIfAborted();
      seen.add(await callHello(client));
      if (performance.now() - scaledAt > 30_000) throw new Error(`${who} did not reach every backend within 30 s`);
    }
    return Math.round(performance.now() - scaledAt);
  };
  const [xdsMs, envoyMs] = await Promise.all([reachAll(xdsClient, 'the xDS client'), envoyClient && reachAll(envoyClient, 'Envoy')]);
  print(`  the xDS client reached all 5 backends ${xdsMs} ms after the manifest changed`);
  if (envoyMs !== undefined) print(`  Envoy reached all 5 backends ${envoyMs} ms after the manifest changed`);

  print(`\nRound 2: five backends, ${callsPerRound} calls each`);
  printTable(print, headers, await Promise.all(clients.map((client) => countCalls(client, callsPerRound, signal))));
  print('\nThe pinned client keeps every call on pod-1 (L4 balancing happens once per connection);');
  if (envoyClient) {
    print('the xDS client spreads calls evenly as soon as the endpoints change, and so does Envoy,');
    print('which balances every call of its client\'s one connection.');
  } else {
    print('the xDS client spreads calls evenly as soon as the endpoints change.');
  }
  print('\nNext:');
  print('  kube-xds serve --source file:examples/file-source   serve your own Service/EndpointSlice manifests');
  print('  kube-xds bootstrap grpc --help                       point a proxyless gRPC client at it');
  print('  kube-xds bootstrap envoy --help                      or an Envoy gateway or sidecar');
  print('  README.md (Modes, Running it) and deploy/README.md    the three modes, and a cluster');
}

/**
 * Lets a first xDS resolution under way finish (bounded) before the client closes: for each
 * resource it still waits for, grpc-js-xds 1.14 keeps a 15 s does-not-exist timer that
 * closing does not cancel, which would hold the process open after an early stop.
 */
async function settleXdsClient(client: grpc.Client, timeoutMs = 2_000): Promise<void> {
  const channel = client.getChannel();
  const deadline = Date.now() + timeoutMs;
  while (channel.getConnectivityState(false) === grpc.connectivityState.CONNECTING && Date.now() < deadline) {
    await new Promise<void>((resolve) => channel.watchConnectivityState(grpc.connectivityState.CONNECTING, deadline, () => resolve()));
  }
}

/** Makes `count` calls, a few at a time, and counts which backend answered each. */
async function countCalls(client: grpc.Client, count: number, signal: AbortSignal, inFlight = 8): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let started = 0;
  const worker = async () => {
    while (started < count) {
      started++;
      signal.throwIfAborted();
      const name = await callHello(client);
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return counts;
}

/** One row per pod, one right-aligned column per client. */
function printTable(print: Print, headers: readonly string[], counts: readonly Map<string, number>[]): void {
  const cell = (text: string, header: string) => ` ${text.padStart(header.length + 1)}`;
  print(`  ${'backend'.padEnd(8)}${headers.map((header) => cell(header, header)).join('')}`);
  for (const name of ['pod-1', 'pod-2', 'pod-3', 'pod-4', 'pod-5']) {
    print(`  ${name.padEnd(8)}${headers.map((header, i) => cell(String(counts[i]!.get(name) ?? 0), header)).join('')}`);
  }
}
