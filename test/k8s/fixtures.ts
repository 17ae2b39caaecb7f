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
