// The envoy-config stage: pure builders from the model to Envoy v3 resources for every
// client class, and the bootstrap files that point clients at the control plane.
export { defaultEnvoyAds, envoyAdsVariants, envoyBootstrapYaml, roleMetadataKey, type EnvoyAds, type EnvoyBootstrapInput, type EnvoyRole, type EnvoyXdsTls } from './bootstrap-envoy.ts';
export { grpcBootstrap, type GrpcBootstrap, type GrpcBootstrapInput, type XdsClientTls } from './bootstrap-grpc.ts';
export { buildResourceSet, serviceResources, sharedRouting } from './build.ts';
export { serviceLoadAssignments } from './endpoints.ts';
export { clusterName, clusterNameOf, proxylessAuthorities, proxylessRouteConfigName, serviceFqdn, unresolvedClusterName } from './names.ts';
export { defaultEnvoyConfigOptions, envoyConfigOptions, type EnvoyConfigOptions } from './options.ts';
export { clientClasses, type ClientClass, type ResourceSet } from './resource-set.ts';
export { routeSupport, unsupportedFor, type RouteFeature, type UnsupportedReasons } from './route-support.ts';
