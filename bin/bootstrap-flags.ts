// `kube-xds bootstrap grpc|envoy`'s flags, apart from the command so help loads no YAML writer.
import { defaultEnvoyAds } from '../envoy-config/envoy-ads.ts';
import type { FlagSpec } from './flags.ts';

/** TLS to the control plane (its --xds-tls-address), for either kind of client. */
const tlsFlags: readonly FlagSpec[] = [
  { name: 'tls-ca-file', value: 'FILE', help: "TLS: the PEM CA bundle that signed the control plane's certificate, as a path in the client's file system" },
  { name: 'tls-cert-file', value: 'FILE', help: "mutual TLS: the client's own PEM certificate chain (with --tls-ca-file and --tls-key-file)" },
  { name: 'tls-key-file', value: 'FILE', help: 'mutual TLS: its PEM private key' },
];

export const bootstrapFlags: Readonly<Record<'grpc' | 'envoy', readonly FlagSpec[]>> = {
  grpc: [
    { name: 'xds-address', value: 'HOST:PORT', help: 'the control plane address clients dial (required)' },
    { name: 'node-id', value: 'ID', help: 'node id the client reports (default: this host name)' },
    { name: 'zone', value: 'ZONE', help: "the client's zone, for locality-aware balancing" },
    ...tlsFlags,
  ],
  envoy: [
    { name: 'role', value: 'gateway|sidecar', help: 'which configuration this Envoy gets (required)' },
    { name: 'xds-address', value: 'HOST:PORT', help: 'the control plane address Envoy dials (required)' },
    { name: 'ads', value: 'delta|sotw', default: defaultEnvoyAds, help: 'the ADS stream Envoy opens: delta (only what changed is sent) or sotw (state of the world: every cluster and the whole route table on each change)' },
    { name: 'node-id', value: 'ID', help: 'node id Envoy reports (default: this host name)' },
    { name: 'node-cluster', value: 'NAME', default: 'kube-xds', help: 'node cluster Envoy reports' },
    { name: 'admin-address', value: 'HOST:PORT', help: "Envoy's admin listener (default 127.0.0.1:9901: the admin API stays in the pod)" },
    { name: 'ready-address', value: 'HOST:PORT', help: 'gateway only: where kubelet probes GET /ready, served from the admin (default 0.0.0.0:15021)' },
    ...tlsFlags,
    { name: 'tls-server-name', value: 'NAME', help: "with --tls-ca-file: the name Envoy sends as SNI and requires among the control plane certificate's SANs (default: the host of --xds-address)" },
  ],
};
