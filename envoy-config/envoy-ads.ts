// Which ADS stream an Envoy bootstrap asks for. Apart from the bootstrap writer, so the CLI's
// help (which prints the default) loads no YAML writer.

/** `delta`: DeltaAggregatedResources, only what changed; `sotw`: StreamAggregatedResources, state of the world. */
export type EnvoyAds = 'delta' | 'sotw';

export const envoyAdsVariants: readonly EnvoyAds[] = ['delta', 'sotw'];

/**
 * What `kube-xds bootstrap envoy` writes without --ads: delta, as Envoy Gateway and Istio run
 * Envoy. On state of the world every new Service resends every cluster and the whole route
 * table to every Envoy; delta sends only what changed.
 */
export const defaultEnvoyAds: EnvoyAds = 'delta';
