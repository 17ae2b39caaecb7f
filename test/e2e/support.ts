// Shared parts of the end-to-end tests: backends on 127.0.0.2-6 playing pods, a fake
// Kubernetes API server holding their Service and EndpointSlice, and a control plane.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEchoBackend } from '../../bin/demo/echo.ts';
import { parseFlags } from '../../bin/flags.ts';
import { ControlPlane, serveConfig, serveFlags } from '../../bin/serve.ts';
import { FakeApiServer } from '../support/fake-apiserver.ts';

export const target = 'echo.demo.svc.cluster.local:50051';
export const podAddresses = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'];
/** The names the pods on podAddresses answer with. */
export const podNames = podAddresses.map((_, i) => `pod-${i + 1}`);

export type PodState = 'ready' | 'draining';

/** A backend playing one pod. */
export interface Pod {
  readonly name: string;
  readonly address: string;
  readonly port: number;
}

/** One port of the Service `echo.demo` (or another Service of the test). */
export interface ServicePort {
  readonly name: string;
  readonly port: number;
  readonly appProtocol?: string;
}

export const grpcPort: ServicePort = { name: 'grpc', port: 50051, appProtocol: 'grpc' };

export class Cluster {
  readonly api: FakeApiServer;
  /** The pods, in order: setPods(states) gives the first `states.length` of them. */
  readonly backends: readonly Pod[];
  readonly dir: string;
  readonly kubeconfig: string;
  readonly #stopPods: () => Promise<void>;

  private constructor(api: FakeApiServer, backends: readonly Pod[], stopPods: () => Promise<void>, dir: string) {
    this.api = api;
    this.backends = backends;
    this.#stopPods = stopPods;
    this.dir = dir;
    this.kubeconfig = join(dir, 'kubeconfig');
  }

  /**
   * The API server with the Service `echo.demo` on `port`. Pods are grpc-js echo backends
   * started here unless the caller brings its own (and stops them itself).
   */
  static async start({ pods, port = grpcPort }: { pods?: readonly Pod[]; port?: ServicePort } = {}): Promise<Cluster> {
    const api = await FakeApiServer.start();
    let backends = pods;
    let stopPods = async () => {};
    if (!backends) {
      const first = await startEchoBackend('pod-1', podAddresses[0]!);
      const echo = [first, ...(await Promise.all(podAddresses.slice(1).map((address, i) => startEchoBackend(`pod-${i + 2}`, address, first.port))))];
      backends = echo;
      stopPods = async () => void (await Promise.all(echo.map((backend) => backend.stop())));
    }
    const cluster = new Cluster(api, backends, stopPods, await mkdtemp(join(tmpdir(), 'kube-xds-e2e-')));
    await api.writeKubeconfig(cluster.kubeconfig);
    cluster.applyService('echo', [port]);
    return cluster;
  }

  applyService(name: string, ports: readonly ServicePort[]): void {
    this.api.apply('services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: 'demo' },
      spec: {
        ports: ports.map((port) => ({ name: port.name, port: port.port, targetPort: port.name, protocol: 'TCP', ...(port.appProtocol && { appProtocol: port.appProtocol }) })),
      },
    });
  }

  /** Deletes a Service and its EndpointSlice, as `kubectl delete` and the slice controller do. */
  deleteService(name: string, slice = `${name}-abcde`): void {
    this.api.delete('services', 'demo', name);
    this.api.delete('endpointslices', 'demo', slice);
  }

  /** Writes the `echo` Service's one EndpointSlice: the first `pods.length` backends in these states. */
  setPods(pods: readonly PodState[], options: { slice?: string; portName?: string } = {}): void {
    this.setEndpoints('echo', pods.map((state, i) => [this.backends[i]!, state]), options);
  }

  /** Writes a Service's one EndpointSlice; every pod must listen on the same port. */
  setEndpoints(service: string, pods: ReadonlyArray<readonly [Pod, PodState]>, options: { slice?: string; portName?: string } = {}): void {
    this.api.apply('endpointslices', this.sliceObject(service, pods, options));
  }

  /** The EndpointSlice setEndpoints writes, for a caller that applies many at once (FakeApiServer.applyAll). */
  sliceObject(service: string, pods: ReadonlyArray<readonly [Pod, PodState]>, { slice = `${service}-abcde`, portName = 'grpc' } = {}): Record<string, unknown> {
    return {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: slice, namespace: 'demo', labels: { 'kubernetes.io/service-name': service } },
      addressType: 'IPv4',
      // A slice without endpoints still names its port; any valid number does.
      ports: [{ name: portName, port: pods[0]?.[0].port ?? 1, protocol: 'TCP' }],
      endpoints: pods.map(([pod, state]) => ({
        addresses: [pod.address],
        conditions: state === 'ready' ? { ready: true } : { ready: false, serving: true, terminating: true },
        targetRef: { kind: 'Pod', name: pod.name, namespace: 'demo' },
      })),
    };
  }

  /** In-process control plane flags: the Kubernetes source on this API server. */
  serveArgs(): string[] {
    return ['--kubeconfig', this.kubeconfig];
  }

  controlPlane(xdsPort = 0): ControlPlane {
    const flags = [...this.serveArgs(), '--xds-address', `127.0.0.1:${xdsPort}`, '--admin-address', '127.0.0.1:0', '--probe-address', '127.0.0.1:0', '--log-level', 'silent'];
    return new ControlPlane(serveConfig(parseFlags(serveFlags, flags, {})));
  }

  async stop(): Promise<void> {
    await this.api.close();
    await this.#stopPods();
    await rm(this.dir, { recursive: true, force: true });
  }
}
