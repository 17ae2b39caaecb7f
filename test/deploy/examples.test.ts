// deploy/examples: the bootstrap files the pods mount point at the control plane of
// deploy/base and carry what kube-xds and the clients need, and the names the sample apps
// dial are Services the example deploys.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { envoyValidatesBootstrap } from '../support/envoy-validate.ts';
import {
  imageName,
  kustomizationDirs,
  ofKind,
  render,
  resolvePort,
  runningContainers,
  type ConfigMap,
  type Container,
  type Deployment,
  type Rendered,
  type Service,
} from './render.ts';

const exampleDirs = kustomizationDirs().filter((dir) => dir.startsWith('deploy/examples/'));

/** `kube-xds.kube-xds.svc.cluster.local:18000`, read from deploy/base's Service. */
function controlPlaneAddress(): { host: string; port: number } {
  const [service] = ofKind<Service>(render('deploy/base'), 'Service');
  const xds = service?.spec.ports.find((port) => port.name === 'xds');
  assert.ok(service && xds, 'deploy/base has a Service with an xds port');
  return { host: `${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local`, port: xds.port };
}

/** The text of `path` as a container sees it, from the ConfigMap volume mounted there. */
function mountedFile(rendered: Rendered, deployment: Deployment, container: Container, path: string): string {
  const where = `${deployment.metadata.name}/${container.name}`;
  const mount = container.volumeMounts?.find((candidate) => path.startsWith(`${candidate.mountPath}/`) && !candidate.subPath);
  assert.ok(mount, `${where}: nothing is mounted at ${path}`);
  const volume = deployment.spec.template.spec.volumes?.find((candidate) => candidate.name === mount.name);
  assert.ok(volume?.configMap, `${where}: ${path} is not from a ConfigMap`);
  const configMap = ofKind<ConfigMap>(rendered, 'ConfigMap').find((candidate) => candidate.metadata.name === volume.configMap!.name);
  assert.ok(configMap, `${where}: ConfigMap ${volume.configMap.name} is not part of ${rendered.dir}`);
  const key = path.slice(mount.mountPath.length + 1);
  const text = configMap.data?.[key];
  assert.ok(text !== undefined, `${where}: ConfigMap ${configMap.metadata.name} has no key ${key}`);
  return text;
}

function flagValue(args: readonly string[], flag: string): string | undefined {
  const index = args.indexOf(flag);
  return index < 0 ? undefined : args[index + 1];
}

interface EnvoyBootstrap {
  node?: { id?: string; metadata?: Record<string, unknown> };
  dynamic_resources?: {
    ads_config?: { api_type?: string; transport_api_version?: string; grpc_services?: { envoy_grpc?: { cluster_name?: string } }[] };
    lds_config?: { ads?: object };
    cds_config?: { ads?: object };
  };
  static_resources?: { listeners?: Record<string, any>[]; clusters?: Record<string, any>[] };
  admin?: { address?: { socket_address?: { address?: string; port_value?: number } } };
}

interface GrpcBootstrap {
  xds_servers?: { server_uri?: string; channel_creds?: { type: string }[]; server_features?: string[] }[];
  node?: { id?: string; locality?: object };
}

function envoyPods(rendered: Rendered) {
  return ofKind<Deployment>(rendered, 'Deployment').flatMap((deployment) =>
    runningContainers(deployment.spec.template.spec)
      .filter((container) => imageName(container.image) === 'envoy')
      .map((envoy) => ({ deployment, envoy })),
  );
}

/** Each Envoy of `rendered` with the bootstrap text it is started from. */
function envoyBootstraps(rendered: Rendered) {
  return envoyPods(rendered).map(({ deployment, envoy }) => {
    const where = `${deployment.metadata.name}/${envoy.name}`;
    const configPath = flagValue(envoy.args ?? [], '--config-path') ?? flagValue(envoy.args ?? [], '-c');
    assert.ok(configPath, `${where}: no --config-path`);
    const text = mountedFile(rendered, deployment, envoy, configPath);
    // A pod with an app beside Envoy is a sidecar; Envoy alone is the gateway.
    const gateway = runningContainers(deployment.spec.template.spec).length === 1;
    return { where, deployment, envoy, gateway, text, bootstrap: parse(text) as EnvoyBootstrap };
  });
}

const loopback = ['127.0.0.1', '::1'];

test('the examples include an Envoy gateway, an Envoy sidecar and a proxyless client', () => {
  const roles = exampleDirs.flatMap((dir) =>
    envoyPods(render(dir)).map(({ deployment }) => (runningContainers(deployment.spec.template.spec).length === 1 ? 'gateway' : 'sidecar')),
  );
  assert.ok(roles.includes('gateway') && roles.includes('sidecar'), `Envoy roles found: ${roles.join(', ')}`);
  const proxyless = exampleDirs.some((dir) =>
    ofKind<Deployment>(render(dir), 'Deployment').some((deployment) =>
      deployment.spec.template.spec.containers.some((container) => container.env?.some((variable) => variable.name === 'GRPC_XDS_BOOTSTRAP')),
    ),
  );
  assert.ok(proxyless, 'a Deployment with GRPC_XDS_BOOTSTRAP');
});

for (const dir of exampleDirs) {
  test(`${dir}: Envoy bootstraps carry the right role and reach the control plane over ADS`, () => {
    const rendered = render(dir);
    const xds = controlPlaneAddress();
    for (const { where, envoy, gateway: alone, bootstrap } of envoyBootstraps(rendered)) {
      assert.is(bootstrap.node?.metadata?.['kube-xds.io/role'], alone ? 'gateway' : 'sidecar', `${where}: node role`);
      if (alone) {
        const ports = (envoy.ports ?? []).map((port) => port.containerPort);
        assert.ok(ports.includes(8080), `${where}: the gateway listens on 8080, got ${ports}`);
      }

      const ads = bootstrap.dynamic_resources?.ads_config;
      // State of the world or delta, as the recorded bootstrap command chose (--ads).
      assert.ok(['GRPC', 'DELTA_GRPC'].includes(ads?.api_type ?? ''), `${where}: ADS over gRPC, state of the world or delta: ${ads?.api_type}`);
      assert.is(ads?.transport_api_version, 'V3');
      assert.is(ads?.grpc_services?.[0]?.envoy_grpc?.cluster_name, 'xds_cluster');
      assert.ok(bootstrap.dynamic_resources?.lds_config?.ads && bootstrap.dynamic_resources.cds_config?.ads, `${where}: LDS and CDS through ADS`);

      const cluster = bootstrap.static_resources?.clusters?.find((candidate) => candidate.name === 'xds_cluster');
      assert.ok(cluster, `${where}: a static xds_cluster`);
      const http2 = cluster.typed_extension_protocol_options?.['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']?.explicit_http_config?.http2_protocol_options;
      assert.ok(http2, `${where}: xds_cluster speaks HTTP/2 (gRPC)`);
      const address = cluster.load_assignment?.endpoints?.[0]?.lb_endpoints?.[0]?.endpoint?.address?.socket_address;
      assert.equal({ host: address?.address, port: address?.port_value }, xds, `${where}: xds_cluster points at deploy/base's Service`);
    }
  });

  test(`${dir}: Envoy's admin API listens on loopback only; kubelet probes a gateway's readiness listener, never the admin`, () => {
    const rendered = render(dir);
    for (const { where, envoy, gateway, bootstrap } of envoyBootstraps(rendered)) {
      const admin = bootstrap.admin?.address?.socket_address;
      assert.ok(admin && loopback.includes(admin.address ?? ''), `${where}: admin on ${admin?.address}, reachable from outside the pod`);
      const probes = [envoy.readinessProbe, envoy.livenessProbe].filter((probe) => probe !== undefined);
      const probedPorts = probes.map((probe) => {
        const port = probe.httpGet?.port ?? probe.tcpSocket?.port;
        assert.ok(port !== undefined, `${where}: a probe that is neither httpGet nor tcpSocket`);
        return typeof port === 'number' ? port : resolvePort([envoy], port)?.containerPort;
      });
      assert.not.ok(probedPorts.includes(admin.port_value), `${where}: a probe on the admin port ${admin.port_value}`);
      if (!gateway) continue;

      // The gateway's readiness: GET /ready on the bootstrap's readiness listener, which
      // forwards exactly that path to the admin over loopback.
      const probe = envoy.readinessProbe?.httpGet;
      assert.ok(probe, `${where}: an HTTP readiness probe`);
      assert.is(probe.path, '/ready');
      const listener = bootstrap.static_resources?.listeners?.find((candidate) => candidate.name === 'readiness');
      assert.ok(listener, `${where}: the bootstrap has a readiness listener`);
      const listens = listener.address?.socket_address;
      assert.is(resolvePort([envoy], probe.port)?.containerPort, listens?.port_value, `${where}: the probe's port is the readiness listener's`);
      assert.not.ok(loopback.includes(listens?.address), `${where}: kubelet cannot reach a readiness listener on ${listens?.address}`);
      const routes = listener.filter_chains[0].filters[0].typed_config.route_config.virtual_hosts.flatMap((host: { routes: unknown[] }) => host.routes);
      assert.equal(routes, [{ match: { path: '/ready' }, route: { cluster: 'envoy_admin' } }], `${where}: the readiness listener serves /ready alone`);
      const adminCluster = bootstrap.static_resources?.clusters?.find((candidate) => candidate.name === 'envoy_admin');
      assert.equal(
        adminCluster?.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address,
        { address: admin.address, port_value: admin.port_value },
        `${where}: /ready goes to the admin API`,
      );
    }
  });

  test(`${dir}: Envoy's validator takes the bootstraps the pods mount`, async () => {
    const bootstraps = envoyBootstraps(render(dir));
    const verdicts = await Promise.all(bootstraps.map(({ text }) => envoyValidatesBootstrap(text)));
    assert.equal(verdicts, bootstraps.map(() => ({ ok: true, message: '' })));
  });

  test(`${dir}: gRPC bootstraps are mounted where GRPC_XDS_BOOTSTRAP points, and valid for grpc-js`, () => {
    const rendered = render(dir);
    const xds = controlPlaneAddress();
    for (const deployment of ofKind<Deployment>(rendered, 'Deployment')) {
      for (const container of deployment.spec.template.spec.containers) {
        const path = container.env?.find((variable) => variable.name === 'GRPC_XDS_BOOTSTRAP')?.value;
        if (!path) continue;
        const where = `${deployment.metadata.name}/${container.name}`;
        const bootstrap = JSON.parse(mountedFile(rendered, deployment, container, path)) as GrpcBootstrap;
        const server = bootstrap.xds_servers?.[0];
        assert.is(server?.server_uri, `${xds.host}:${xds.port}`, `${where}: server_uri is deploy/base's Service`);
        assert.equal(server?.channel_creds, [{ type: 'insecure' }], `${where}: the clients accept only insecure creds in the bootstrap`);
        assert.ok(server?.server_features?.includes('xds_v3'), `${where}: server_features has xds_v3`);
        assert.type(bootstrap.node?.id, 'string', `${where}: node.id`);
        assert.type(bootstrap.node?.locality, 'object', `${where}: grpc-js refuses a bootstrap without node.locality`);
      }
    }
  });

  test(`${dir}: the names the sample apps dial are Services of the example`, () => {
    const rendered = render(dir);
    const published = new Set(
      ofKind<Service>(rendered, 'Service').flatMap((service) =>
        service.spec.ports.map((port) => `${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local:${port.port}`),
      ),
    );
    for (const deployment of ofKind<Deployment>(rendered, 'Deployment')) {
      const script = deployment.spec.template.spec.containers.flatMap((container) => container.args ?? []).join('\n');
      const names = [...script.matchAll(/xds:\/\/\/([^'"`\s]+)|'grpc\.default_authority':\s*'([^']+)'/g)].map((match) => match[1] ?? match[2]!);
      for (const name of names) assert.ok(published.has(name), `${deployment.metadata.name} dials ${name}, which ${dir} does not deploy`);
    }
  });
}

test.run();
