// A stream's class is decided once, from the node of its first request.
import { badRequest } from '../common/errors.ts';
import { roleMetadataKey } from '../envoy-config/bootstrap-envoy.ts';
import type { envoy } from '../generated/envoy.js';
import type { ClientClass } from '../envoy-config/resource-set.ts';

/**
 * An explicit role wins. Without one, Envoy is a gateway (it cannot use the api_listeners
 * proxyless clients get) and everything else — gRPC clients — is proxyless.
 */
export function classifyNode(node: envoy.config.core.v3.INode): ClientClass {
  const roleValue = node.metadata?.fields?.[roleMetadataKey];
  if (roleValue) {
    const role = roleValue.stringValue;
    if (role === 'gateway' || role === 'sidecar' || role === 'proxyless') return role;
    throw badRequest(
      `node metadata "${roleMetadataKey}" must be one of gateway, sidecar, proxyless; got ${JSON.stringify(role ?? roleValue)}`,
    );
  }
  return node.user_agent_name === 'envoy' ? 'gateway' : 'proxyless';
}

/**
 * Whether a client keeps a listener or cluster it subscribed to by name even after its
 * Service is deleted; its ClusterLoadAssignment is emptied instead. Proxyless gRPC clients
 * do: told that a resource is gone, grpc-js 1.14 ignores it when it comes back identical
 * (a `kubectl delete` and `apply` of the same Service) and C-core 1.51 never subscribes to
 * the cluster again, so neither recovers without a restart. An empty assignment fails
 * calls just as fast, and a returning Service is one EDS push away. Envoy subscribes to
 * listeners and clusters by wildcard and takes removals as they are.
 */
export function retainsWithdrawnResources(nodeClass: ClientClass): boolean {
  return nodeClass === 'proxyless';
}
