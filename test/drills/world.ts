// What every failure drill sets up: real Go backends playing five pods on 127.0.0.2-6, the
// fake API server holding the Service `echo.demo` (on a port free on 127.0.0.1, where the
// Envoy sidecar listens for it), control-plane replicas (the CLI, Kubernetes source), and
// the fleet of real clients calling through their configuration.
import { freePort } from '../../bin/demo/free-port.ts';
import { Cluster, podAddresses, podNames, type Pod } from '../e2e/support.ts';
import { Fleet, type Endpoint } from '../support/drill-fleet.ts';
import { PeerBackends } from '../support/peers.ts';
import { ServeReplica } from '../support/serve-replica.ts';
import type { SpreadingProxy } from '../support/spreading-proxy.ts';

export interface World {
  backends: PeerBackends;
  /** pod-1 .. pod-5, in order. */
  pods: Pod[];
  cluster: Cluster;
  /** The `echo` Service's port. */
  port: number;
  gatewayPort: number;
  replicas: ServeReplica[];
  proxy?: SpreadingProxy;
  fleet?: Fleet;
}

/** For a suite's `before`: the backends, shared by the suite's drills. */
export async function startBackends(world: World): Promise<void> {
  const port = await freePort(podAddresses[0]);
  world.backends = await PeerBackends.start({ grpc: podAddresses.map((address, i) => `${podNames[i]}=${address}:${port}`) });
  world.pods = [...world.backends.listeners];
}

/** For a suite's `before.each`: a fresh API server, nothing else yet. */
export async function startCluster(world: World): Promise<void> {
  world.replicas = [];
  world.proxy = undefined;
  world.fleet = undefined;
  world.port = await freePort('127.0.0.1');
  world.gatewayPort = await freePort();
  world.cluster = await Cluster.start({ pods: world.pods, port: { name: 'grpc', port: world.port, appProtocol: 'grpc' } });
}

/** For a suite's `after.each`: everything but the backends, whatever state the drill left. */
export async function stopAll(world: World): Promise<void> {
  await world.fleet?.kill();
  await Promise.all(world.replicas.map((replica) => replica.stop()));
  await world.proxy?.close();
  await world.cluster?.stop();
}

/** A replica of the control plane on this world's API server, not started yet. */
export async function addReplica(world: World, name = `replica-${world.replicas.length + 1}`, args: readonly string[] = []): Promise<ServeReplica> {
  const replica = await ServeReplica.create(name, [...world.cluster.serveArgs(), '--gateway-port', String(world.gatewayPort), ...args]);
  world.replicas.push(replica);
  return replica;
}

/** The fleet of clients, all given `xdsAddress`, calling the `echo` Service. */
export function newFleet(world: World, xdsAddress: string, options: { deadlineMs?: number } = {}): Fleet {
  world.fleet = new Fleet({ dir: world.cluster.dir, xdsAddress, service: 'echo', port: world.port, gatewayPort: world.gatewayPort, ...options });
  return world.fleet;
}

/** The pods of these names, as the `echo` Cluster's expected endpoints. */
export function echoHolds(world: World, fleet: Fleet, names: readonly string[]): Map<string, Endpoint[]> {
  return new Map([[fleet.cluster, names.map((name) => world.pods.find((pod) => pod.name === name)!)]]);
}

/** A duration from the environment (milliseconds), else `fallback`. */
export function envMs(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number of milliseconds, got "${text}"`);
  return value;
}
