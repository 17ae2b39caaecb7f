// `kube-xds serve`'s flags and their validation into the one frozen ServeConfig. Light on
// purpose: the CLI validates flags before it loads the control plane's modules.
import { configError } from '../common/errors.ts';
import { logFormats, logLevels, type LogFormat, type LogLevel } from '../common/log-options.ts';
import type { AdsServerOptions } from '../control-plane/ads-server.ts';
import { defaultAdsLimits as limits, type AdsLimits } from '../control-plane/limits.ts';
import { envoyConfigOptions, type EnvoyConfigOptions } from '../envoy-config/options.ts';
import { parseSelector, type LabelSelector } from '../k8s/selector.ts';
import { formatBytes, parseAddress, parseBytes, parseCount, parseDurationMs, parsePort, single, type FlagSpec, type FlagValues } from './flags.ts';
import { xdsListenerFlags, xdsListenersConfig, type XdsListenersConfig } from './xds-listener-config.ts';

export const serveFlags: readonly FlagSpec[] = [
  ...xdsListenerFlags,
  { name: 'admin-address', value: 'HOST:PORT', default: '127.0.0.1:18080', help: 'admin HTTP, loopback by default: the status page at /, /debug/ views, /healthz /readyz /metrics' },
  { name: 'probe-address', value: 'HOST:PORT', default: '0.0.0.0:18081', help: 'HTTP for kubelet probes and Prometheus: /healthz /readyz /metrics only' },
  { name: 'kubeconfig', value: 'FILE', help: 'Kubernetes client config (else KUBECONFIG, ~/.kube/config, or in-cluster)' },
  { name: 'source', value: 'SOURCE', default: 'kubernetes', help: '"kubernetes", or file:DIR to serve Service/EndpointSlice manifests from a folder' },
  { name: 'namespace', value: 'NS', repeatable: true, help: 'watch only this namespace (default: all)' },
  { name: 'selector', value: 'SELECTOR', help: 'label selector on Services, e.g. "app=api,tier!=batch"' },
  { name: 'cluster-domain', value: 'DOMAIN', default: 'cluster.local', help: 'the cluster DNS domain used in names' },
  { name: 'gateway-port', value: 'PORT', repeatable: true, default: '8080', help: 'a port the Envoy gateway listens on' },
  { name: 'gateway-class', value: 'NAME', default: 'kube-xds', help: 'serve the Gateways (gateway.networking.k8s.io) of this GatewayClass to Envoy gateways' },
  { name: 'coalesce-window', value: 'DURATION', default: '10ms', help: 'after a flush, gather further changes until quiet this long' },
  { name: 'coalesce-max-delay', value: 'DURATION', default: '100ms', help: 'but never longer than this after the first of them' },
  { name: 'max-connection-age', value: 'DURATION', default: '30m', help: 'close client connections this old, so clients rebalance across replicas' },
  { name: 'max-connection-age-grace', value: 'DURATION', default: '1m', help: 'time an aged connection gets to finish' },
  { name: 'max-streams', value: 'N', default: String(limits.maxStreams), help: 'ADS streams served at once; more are refused with RESOURCE_EXHAUSTED' },
  { name: 'max-streams-per-connection', value: 'N', default: String(limits.maxStreamsPerConnection), help: 'ADS streams one client connection may hold open' },
  { name: 'max-names-per-request', value: 'N', default: String(limits.maxNamesPerRequest), help: 'resource names one request may carry' },
  { name: 'max-names-per-stream', value: 'N', default: String(limits.maxNamesPerStream), help: 'resource names one stream may subscribe to, over all types' },
  { name: 'max-request-bytes', value: 'SIZE', default: formatBytes(limits.maxRequestBytes), help: 'largest request accepted (SIZE: bytes, or with Ki, Mi, Gi)' },
  { name: 'max-requests-per-second', value: 'N', default: String(limits.requestsPerSecond), help: 'requests a stream may send per second, sustained' },
  { name: 'request-burst', value: 'N', default: String(limits.requestBurst), help: 'requests a stream may send at once above that rate' },
  { name: 'max-pending-response-bytes', value: 'SIZE', default: formatBytes(limits.maxPendingResponseBytes), help: 'responses a client has not read yet; past this its stream is closed' },
  { name: 'log-level', value: 'LEVEL', default: 'info', help: 'debug, info, warn, error or silent' },
  { name: 'log-format', value: 'FORMAT', default: 'auto', help: 'json, pretty, or auto (pretty on a terminal, else json)' },
];

export interface ServeConfig {
  /** The plaintext xDS listener; absent with --xds-address off. */
  readonly xds?: { readonly host: string; readonly port: number };
  readonly xdsTls?: XdsListenersConfig['xdsTls'];
  readonly admin: { readonly host: string; readonly port: number };
  readonly probe: { readonly host: string; readonly port: number };
  readonly source: { readonly kind: 'kubernetes'; readonly kubeconfig?: string } | { readonly kind: 'file'; readonly dir: string };
  readonly namespaces: readonly string[];
  readonly selector?: LabelSelector;
  /** The GatewayClass whose Gateways the gateway role serves. */
  readonly gatewayClassName: string;
  readonly envoy: EnvoyConfigOptions;
  readonly coalesceWindowMs: number;
  readonly coalesceMaxDelayMs: number;
  readonly ads: Partial<AdsServerOptions>;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
}

const dns1123Label = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function serveConfig(flags: FlagValues): ServeConfig {
  const sourceText = single(flags, 'source')!;
  let source: ServeConfig['source'];
  if (sourceText === 'kubernetes') source = { kind: 'kubernetes', kubeconfig: single(flags, 'kubeconfig') };
  else if (sourceText.startsWith('file:') && sourceText.length > 5) source = { kind: 'file', dir: sourceText.slice(5) };
  else throw configError(`--source must be "kubernetes" or file:DIR, got "${sourceText}"`);

  const namespaces = flags.get('namespace') ?? [];
  for (const namespace of namespaces) {
    if (!dns1123Label.test(namespace)) throw configError(`--namespace "${namespace}" is not a valid namespace name`);
  }
  const selectorText = single(flags, 'selector');
  const gatewayClassName = single(flags, 'gateway-class')!;
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(gatewayClassName)) throw configError(`--gateway-class "${gatewayClassName}" is not a valid GatewayClass name`);
  const logLevel = single(flags, 'log-level') as LogLevel;
  if (!logLevels.includes(logLevel)) throw configError(`--log-level must be one of ${logLevels.join(', ')}, got "${logLevel}"`);
  const logFormat = single(flags, 'log-format') as LogFormat;
  if (!logFormats.includes(logFormat)) throw configError(`--log-format must be one of ${logFormats.join(', ')}, got "${logFormat}"`);
  const coalesceWindowMs = parseDurationMs('coalesce-window', single(flags, 'coalesce-window')!);
  const coalesceMaxDelayMs = parseDurationMs('coalesce-max-delay', single(flags, 'coalesce-max-delay')!);
  if (coalesceMaxDelayMs < coalesceWindowMs) throw configError('--coalesce-max-delay must not be shorter than --coalesce-window');

  const admin = parseAddress('admin-address', single(flags, 'admin-address')!);
  const probe = parseAddress('probe-address', single(flags, 'probe-address')!);
  if (admin.port !== 0 && admin.port === probe.port && admin.host === probe.host) {
    throw configError(`--probe-address and --admin-address are both ${single(flags, 'admin-address')}: the probe address serves only probes and metrics, so it needs a port of its own`);
  }

  return Object.freeze({
    ...xdsListenersConfig(flags),
    admin,
    probe,
    source,
    namespaces: Object.freeze([...namespaces]),
    selector: selectorText ? parseSelectorFlag(selectorText) : undefined,
    gatewayClassName,
    envoy: envoyConfigOptions({
      clusterDomain: single(flags, 'cluster-domain')!,
      gatewayPorts: (flags.get('gateway-port') ?? []).map((p) => parsePort('gateway-port', p)),
    }),
    coalesceWindowMs,
    coalesceMaxDelayMs,
    ads: {
      ...limitsConfig(flags),
      maxConnectionAgeMs: parseDurationMs('max-connection-age', single(flags, 'max-connection-age')!),
      maxConnectionAgeGraceMs: parseDurationMs('max-connection-age-grace', single(flags, 'max-connection-age-grace')!),
    },
    logLevel,
    logFormat,
  });
}

function limitsConfig(flags: FlagValues): AdsLimits {
  const count = (flag: string) => parseCount(flag, single(flags, flag)!);
  const bytes = (flag: string) => parseBytes(flag, single(flags, flag)!);
  return {
    maxStreams: count('max-streams'),
    maxStreamsPerConnection: count('max-streams-per-connection'),
    maxNamesPerRequest: count('max-names-per-request'),
    maxNamesPerStream: count('max-names-per-stream'),
    maxRequestBytes: bytes('max-request-bytes'),
    requestsPerSecond: count('max-requests-per-second'),
    requestBurst: count('request-burst'),
    maxPendingResponseBytes: bytes('max-pending-response-bytes'),
  };
}

function parseSelectorFlag(text: string): LabelSelector {
  try {
    return parseSelector(text);
  } catch (error) {
    throw configError(`--selector: ${(error as Error).message}`);
  }
}
