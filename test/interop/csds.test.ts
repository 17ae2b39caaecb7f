// CSDS as standard xDS tooling asks it: the CLI serves a Service from manifest files, real
// proxyless clients (grpc-go, grpc-js) call it, and the Go CSDS client built on
// go-control-plane's envoy.service.status.v3 types asks the control plane what they hold.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { bootstrapText } from '../../bin/bootstrap-command.ts';
import { TypeUrl } from '../../control-plane/types.ts';
import { CliControlPlane } from '../support/cli-control-plane.ts';
import { PeerBackends, PeerClient, peers, type ClientName } from '../support/peers.ts';
import { waitFor } from '../support/wait.ts';

const target = 'echo.demo.svc.cluster.local:50051';
const callers: readonly ClientName[] = ['grpc-go', 'grpc-js'];
const nodeId = (client: ClientName) => `csds-${client}`;

/** One line of the Go CSDS client's output: a client (stream) the server reports. */
interface Reported {
  readonly node: string;
  readonly user_agent?: string;
  readonly resources: ReadonlyArray<{ type: string; name: string; version?: string; config_status: string; client_status: string; error?: string; has_config: boolean }>;
}

interface World {
  dir: string;
  backends: PeerBackends;
  controlPlane: CliControlPlane;
  clients: PeerClient[];
}
const test = suite<World>('CSDS with the Go client (go-control-plane types)', {} as World);

test.before(async (world) => {
  world.dir = await mkdtemp(join(tmpdir(), 'kube-xds-csds-'));
  world.backends = await PeerBackends.start({ grpc: ['pod-1=127.0.0.2:0'] });
  await writeFile(join(world.dir, 'echo.yaml'), manifests(world.backends.get('pod-1').port));
  world.controlPlane = await CliControlPlane.start(['--source', `file:${world.dir}`]);
  world.clients = [];
  for (const name of callers) {
    const bootstrap = join(world.dir, `${name}.json`);
    await writeFile(bootstrap, bootstrapText(['grpc', '--xds-address', world.controlPlane.xdsAddress, '--node-id', nodeId(name), '--zone', 'zone-a']));
    world.clients.push(PeerClient.start(name, { target: `xds:///${target}`, bootstrap, rate: 20 }));
  }
  await Promise.all(world.clients.map((client) => client.waitToReach(['pod-1'])));
});

test.after(async ({ dir, backends, controlPlane, clients }) => {
  for (const client of clients ?? []) client.kill();
  await controlPlane?.stop();
  await backends?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('each client is reported by node id, SYNCED on the listener, route, cluster and endpoints of the Service it calls', async ({ controlPlane }) => {
  for (const name of callers) {
    // The client ACKs right after it applies a response: poll until the server has the ACKs.
    const [client] = await waitFor(`${name} to be reported SYNCED on every type`, async () => {
      const reported = await csds(controlPlane, ['--node-id', nodeId(name)]);
      return reported.length === 1 && allTypesSynced(reported[0]!) && reported;
    });
    assert.is(client!.node, nodeId(name));
    assert.match(client!.user_agent ?? '', name === 'grpc-go' ? /^gRPC Go\// : /^gRPC Node/);
    const listeners = client!.resources.filter((resource) => resource.type === TypeUrl.Listener);
    assert.equal(listeners.map((resource) => resource.name), [target], 'the listener of the target it dials');
    for (const resource of client!.resources) {
      assert.is(resource.config_status, 'SYNCED', `${resource.type} ${resource.name}`);
      assert.is(resource.client_status, 'ACKED', `${resource.type} ${resource.name}`);
      assert.ok(resource.has_config && resource.version, `${resource.type} ${resource.name} comes with its config and version`);
      assert.is(resource.error, undefined);
    }
  }
});

test('matchers select among the clients; the stream call answers the same', async ({ controlPlane }) => {
  const everyone = await csds(controlPlane, []);
  assert.equal(everyone.map((client) => client.node).sort(), callers.map(nodeId).sort());
  assert.equal((await csds(controlPlane, ['--node-id-prefix', 'csds-grpc-'])).map((client) => client.node).sort(), callers.map(nodeId).sort());
  assert.equal((await csds(controlPlane, ['--node-id-regex', '.*-go'])).map((client) => client.node), [nodeId('grpc-go')]);
  assert.equal(await csds(controlPlane, ['--node-id', 'nobody']), []);
  const streamed = await csds(controlPlane, ['--stream', '--node-id', nodeId('grpc-js')]);
  assert.equal(streamed.map((client) => client.node), [nodeId('grpc-js')]);
  assert.ok(allTypesSynced(streamed[0]!));
});

test('--full prints the ClientStatusResponse with each resource as the client was sent it', async ({ controlPlane }) => {
  const { stdout } = await run(controlPlane, ['--full', '--node-id', nodeId('grpc-go')]);
  const response = JSON.parse(stdout) as { config: Array<{ node: { id: string }; genericXdsConfigs: Array<{ typeUrl: string; name: string; xdsConfig: { '@type': string; name?: string } }> }> };
  assert.is(response.config.length, 1);
  assert.is(response.config[0]!.node.id, nodeId('grpc-go'));
  const listener = response.config[0]!.genericXdsConfigs.find((entry) => entry.typeUrl === TypeUrl.Listener)!;
  assert.is(listener.xdsConfig['@type'], TypeUrl.Listener);
  assert.is(listener.xdsConfig.name, target);
});

test('a bad matcher is refused with INVALID_ARGUMENT', async ({ controlPlane }) => {
  const failed = await run(controlPlane, ['--node-id-regex', '(']).then(
    () => undefined,
    (error: Error & { code?: number; stderr?: string }) => error,
  );
  assert.is(failed?.code, 1);
  assert.match(failed?.stderr ?? '', /InvalidArgument/);
});

function allTypesSynced(client: Reported): boolean {
  const types = new Set(client.resources.map((resource) => resource.type));
  return Object.values(TypeUrl).every((type) => types.has(type)) && client.resources.every((resource) => resource.config_status === 'SYNCED');
}

async function csds(controlPlane: CliControlPlane, args: readonly string[]): Promise<Reported[]> {
  const { stdout } = await run(controlPlane, args);
  return stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Reported);
}

function run(controlPlane: CliControlPlane, args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  const [command, ...prefix] = peers().csds.command;
  return new Promise((resolve, reject) =>
    execFile(command!, [...prefix, '--server', controlPlane.xdsAddress, ...args], { timeout: 20_000 }, (error, stdout, stderr) =>
      error ? reject(Object.assign(error, { stderr })) : resolve({ stdout, stderr }),
    ),
  );
}

/** The Service echo.demo with its one ready pod on 127.0.0.2:port. */
function manifests(port: number): string {
  return `apiVersion: v1
kind: Service
metadata: {name: echo, namespace: demo}
spec:
  ports: [{name: grpc, port: 50051, targetPort: grpc, protocol: TCP, appProtocol: grpc}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: echo-1
  namespace: demo
  labels: {kubernetes.io/service-name: echo}
addressType: IPv4
ports: [{name: grpc, port: ${port}, protocol: TCP}]
endpoints:
  - addresses: ["127.0.0.2"]
    conditions: {ready: true, serving: true, terminating: false}
    zone: zone-a
`;
}

test.run();
