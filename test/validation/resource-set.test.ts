// A whole snapshot at once: per-resource rules under the resource's name, then what must hold
// across resources.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkResourceSet } from '../support/envoy-check/index.ts';
import {
  apiListener,
  edsCluster,
  encode,
  loadAssignment,
  routeConfiguration,
  serviceAuthority,
  serviceCluster,
  socketListener,
  types,
} from './examples.ts';
import { found } from './found.ts';

const HCM = '<envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager>';

function completeSet() {
  return {
    listeners: [apiListener(), socketListener(50051)],
    routes: [routeConfiguration()],
    clusters: [edsCluster()],
    endpoints: [loadAssignment()],
  };
}

test('a consistent set passes, as plain objects and as encoded bytes', () => {
  assert.equal(checkResourceSet(completeSet()), []);
  const set = completeSet();
  assert.equal(
    checkResourceSet({
      listeners: set.listeners.map((listener) => encode(types.Listener, listener)),
      routes: set.routes.map((routes) => encode(types.RouteConfiguration, routes)),
      clusters: set.clusters.map((cluster) => encode(types.Cluster, cluster)),
      endpoints: set.endpoints.map((endpoints) => encode(types.ClusterLoadAssignment, endpoints)),
    }),
    [],
  );
});

test('problems inside a resource are prefixed with the resource', () => {
  const set = { ...completeSet(), clusters: [edsCluster({ lb_policy: 99 })] };
  assert.equal(found(checkResourceSet(set)), [`clusters["${serviceCluster}"].lb_policy enum.defined_only`]);
});

test('names are unique per type', () => {
  const set = { ...completeSet(), clusters: [edsCluster(), edsCluster()], endpoints: [loadAssignment(), loadAssignment()] };
  assert.equal(found(checkResourceSet(set)), [
    `clusters["${serviceCluster}"] set.unique_name`,
    `endpoints["${serviceCluster}"] set.unique_name`,
  ]);
});

test('a listener naming a RouteConfiguration that is not in the set', () => {
  const set = { ...completeSet(), routes: [] };
  assert.equal(found(checkResourceSet(set)), [
    `listeners["${serviceAuthority}"].api_listener.api_listener${HCM}.rds.route_config_name set.missing_route_configuration`,
    `listeners["outbound:50051"].filter_chains[0].filters[0].typed_config${HCM}.rds.route_config_name set.missing_route_configuration`,
  ]);
});

test('routes naming clusters that are not in the set, directly or by weight', () => {
  const route = {
    match: { prefix: '' },
    route: { weighted_clusters: { clusters: [{ name: serviceCluster, weight: { value: 90 } }, { name: 'canary', weight: { value: 10 } }] } },
  };
  const routes = routeConfiguration({ virtual_hosts: [{ name: 'foo', domains: ['foo'], routes: [route, { match: { prefix: '/x' }, route: { cluster: 'gone' } }] }] });
  assert.equal(found(checkResourceSet({ ...completeSet(), routes: [routes] })), [
    `routes["${serviceAuthority}"].virtual_hosts[0].routes[0].route.weighted_clusters.clusters[1].name set.missing_cluster`,
    `routes["${serviceAuthority}"].virtual_hosts[0].routes[1].route.cluster set.missing_cluster`,
  ]);
});

test('an EDS cluster whose service has no ClusterLoadAssignment', () => {
  assert.equal(found(checkResourceSet({ ...completeSet(), endpoints: [] })), [`clusters["${serviceCluster}"] set.missing_cluster_load_assignment`]);
  const named = edsCluster({ eds_cluster_config: { eds_config: { ads: {} } } });
  assert.equal(checkResourceSet({ ...completeSet(), clusters: [named] }), [], 'without service_name the cluster name is asked for');
});

test.run();
