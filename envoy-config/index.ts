// The envoy-config stage: pure builders from the model to Envoy v3 resources for every
// client class, and the bootstrap files that point clients at the control plane.
export { buildResourceSet, serviceResources, sharedRouting } from './build.ts';
export { serviceLoadAssignments } from './endpoints.ts';
export { clusterName, proxylessAuthorities, proxylessRouteConfigName, serviceFqdn } from './names.ts';
export { defaultEnvoyConfigOptions, envoyConfigOptions, type EnvoyConfigOptions } from './options.ts';
export { clientClasses, type ClientClass, type ResourceSet } from './resource-set.ts';
