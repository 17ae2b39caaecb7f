// Shared parts of the end-to-end tests: five echo backends on 127.0.0.2-6 playing pods, a
// fake Kubernetes API server holding their Service and EndpointSlice, and a control plane.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEchoBackend, type EchoBackend } from '../../bin/demo/echo.ts';
import { parseFlags } from '../../bin/flags.ts';
import { ControlPlane, serveConfig, serveFlags } from '../../bin/serve.ts';
import { FakeApiServer } from '../support/fake-apiserver.ts';

export const target = 'echo.demo.svc.cluster.local:50051';
export const podAddresses = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'];

export type PodState = 'ready' | 'draining';

export class Cluster {
  readonly api: FakeApiServer;
  readonly backends: readonly EchoBackend[];
  readonly dir: string;
  readonly kubeconfig: string;

  private constructor(api: FakeApiServer, backends: EchoBackend[], dir: string) {
    this.api = api;
    this.backends = backends;
    this.dir = dir;
    this.kubeconfig = join(dir, 'kubeconfig');
  }

  static async start(): Promise<Cluster> {
    const api = await FakeApiServer.start();
    const first = await startEchoBackend('pod-1', podAddresses[0]!);
    const rest = await Promise.all(podAddresses.slice(1).map((address, i) => startEchoBackend(`pod-${i + 2}`, address, first.port)));
    const cluster = new Cluster(api, [first, ...rest], await mkdtemp(join(tmpdir(), 'kube-xds-e2e-')));
    await api.writeKubeconfig(cluster.kubeconfig);
    api.apply('services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'echo', namespace: 'demo' },
      spec: { ports: [{ name: 'grpc', port: 50051, targetPort: 'grpc', protocol: 'TCP', appProtocol: 'grpc' }] },
    });
    return cluster;
  }

  /** Writes the Service's one EndpointSlice: the first `pods.length` backends in these states. */
  setPods(pods: readonly PodState[]): void {
    this.api.apply('endpointslices', {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'echo-abcde', namespace: 'demo', labels: { 'kubernetes.io/service-name': 'echo' } },
      addressType: 'IPv4',
      ports: [{ name: 'grpc', port: this.backends[0]!.port, protocol: 'TCP' }],
      endpoints: pods.map((state, i) => ({
        addresses: [this.backends[i]!.address],
        conditions: state === 'ready' ? { ready: true } : { ready: false, serving: true, terminating: true },
        targetRef: { kind: 'Pod', name: this.backends[i]!.name, namespace: 'demo' },
      })),
    });
  }

  controlPlane(xdsPort = 0): ControlPlane {
    const flags = ['--kubeconfig', this.kubeconfig, '--xds-address', `127.0.0.1:${xdsPort}`, '--admin-address', '127.0.0.1:0', '--log-level', 'silent'];
    return new ControlPlane(serveConfig(parseFlags(serveFlags, flags, {})));
  }

  async stop(): Promise<void> {
    await this.api.close();
    await Promise.all(this.backends.map((backend) => backend.stop()));
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** A port that was free a moment ago (for a control plane that must restart on the same one). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}
