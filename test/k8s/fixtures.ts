// Raw Kubernetes objects as the API server writes them (JSON), with only the fields a test
// cares about spelled out.

export interface Json {
  [key: string]: unknown;
}

export interface ServiceSpec {
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ports?: Json[];
  spec?: Json;
}

export function service(name: string, spec: ServiceSpec = {}): Json {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace: spec.namespace ?? 'default',
      ...(spec.labels ? { labels: spec.labels } : {}),
      ...(spec.annotations ? { annotations: spec.annotations } : {}),
    },
    spec: { ports: spec.ports ?? [{ name: 'grpc', port: 50051, protocol: 'TCP' }], ...spec.spec },
  };
}

export interface SliceSpec {
  namespace?: string;
  service?: string;
  addressType?: string;
  ports?: Json[];
  endpoints?: Json[];
}

export function slice(name: string, spec: SliceSpec = {}): Json {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name,
      namespace: spec.namespace ?? 'default',
      labels: spec.service === undefined ? {} : { 'kubernetes.io/service-name': spec.service },
    },
    addressType: spec.addressType ?? 'IPv4',
    ports: spec.ports ?? [{ name: 'grpc', port: 50051, protocol: 'TCP' }],
    endpoints: spec.endpoints ?? [],
  };
}

/** An endpoint; conditions left out unless given, to exercise the API defaults. */
export function endpoint(address: string, extra: Json = {}): Json {
  return { addresses: [address], ...extra };
}

export interface RouteSpec {
  namespace?: string;
  /** RFC 3339; precedence breaks ties by age. */
  createdAt?: string;
  generation?: number;
  /** Default: the Service `parent` in the Route's namespace, every port. */
  parentRefs?: Json[];
  /** spec.hostnames (read for Gateway parents). */
  hostnames?: string[];
  rules?: Json[];
  status?: Json;
}

function route(kind: 'GRPCRoute' | 'HTTPRoute', name: string, spec: RouteSpec): Json {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind,
    metadata: {
      name,
      namespace: spec.namespace ?? 'default',
      ...(spec.createdAt === undefined ? {} : { creationTimestamp: spec.createdAt }),
      ...(spec.generation === undefined ? {} : { generation: spec.generation }),
    },
    spec: { parentRefs: spec.parentRefs ?? [serviceParent('parent')], ...(spec.hostnames && { hostnames: spec.hostnames }), rules: spec.rules ?? [] },
    ...(spec.status === undefined ? {} : { status: spec.status }),
  };
}

export function grpcRoute(name: string, spec: RouteSpec = {}): Json {
  return route('GRPCRoute', name, spec);
}

export function httpRoute(name: string, spec: RouteSpec = {}): Json {
  return route('HTTPRoute', name, spec);
}

/** A mesh parentRef: a core Service. */
export function serviceParent(name: string, extra: Json = {}): Json {
  return { group: '', kind: 'Service', name, ...extra };
}

/** A backendRef to a Service port. */
export function backend(name: string, port: number, extra: Json = {}): Json {
  return { name, port, ...extra };
}

/** A parentRef to a Gateway (the default group and kind), optionally one listener. */
export function gatewayParent(name: string, extra: Json = {}): Json {
  return { name, ...extra };
}

export interface GatewaySpec {
  namespace?: string;
  className?: string;
  generation?: number;
  listeners?: Json[];
}

/** A Gateway; by default of kube-xds's class with one HTTP listener `http` on port 80. */
export function gateway(name: string, spec: GatewaySpec = {}): Json {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name, namespace: spec.namespace ?? 'default', ...(spec.generation === undefined ? {} : { generation: spec.generation }) },
    spec: { gatewayClassName: spec.className ?? 'kube-xds', listeners: spec.listeners ?? [httpListener('http', 80)] },
  };
}

export function httpListener(name: string, port: number, extra: Json = {}): Json {
  return { name, port, protocol: 'HTTP', ...extra };
}
