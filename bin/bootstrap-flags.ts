// `kube-xds bootstrap grpc|envoy`'s flags, apart from the command so help loads no YAML writer.
import { defaultEnvoyAds } from '../envoy-config/envoy-ads.ts';
import type { FlagSpec } from './flags.ts';

export const bootstrapFlags: Readonly<Record<'grpc' | 'envoy', readonly FlagSpec[]>> = {
  grpc: [
    { name: 'xds-address', value: 'HOST:PORT', help: 'the control plane address clients dial (required)' },
    { name: 'node-id', value: 'ID', help: 'node id the client reports (default: this host name)' },
    { name: 'zone', value: 'ZONE', help: "the client's zone, for locality-aware balancing" },
  ],
  envoy: [
    { name: 'role', value: 'gateway|sidecar', help: 'which configuration this Envoy gets (required)' },
    { name: 'xds-address', value: 'HOST:PORT', help: 'the control plane address Envoy dials (required)' },
    { name: 'ads', value: 'delta|sotw', default: defaultEnvoyAds, help: 'the ADS stream Envoy opens: delta (only what changed is sent) or sotw (state of the world: every cluster and the whole route table on each change)' },
    { name: 'node-id', value: 'ID', help: 'node id Envoy reports (default: this host name)' },
    { name: 'node-cluster', value: 'NAME', default: 'kube-xds', help: 'node cluster Envoy reports' },
    { name: 'admin-address', value: 'HOST:PORT', help: "Envoy's admin listener (default 127.0.0.1:9901: the admin API stays in the pod)" },
    { name: 'ready-address', value: 'HOST:PORT', help: 'gateway only: where kubelet probes GET /ready, served from the admin (default 0.0.0.0:15021)' },
  ],
};
