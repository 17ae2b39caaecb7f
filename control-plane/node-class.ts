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
 * do. Told that the listener is gone, grpc-js 1.14, grpc-java 1.85 and C-core 1.51 never use
 * the Service again when a `kubectl delete` and `apply` bring it back (grpc-js ignores a
 * resource identical to one it was told is gone); grpc-go and C-core 1.85 recover. With
 * the listener kept, every one of them is back one EDS push after the Service returns.
 * Meanwhile calls fail fast on the empty assignment (grpc-java alone keeps calling the
 * last endpoints; in a cluster, those pods went with the Service). Envoy subscribes to
 * listeners and clusters by wildcard and takes removals as they are.
 */
export function retainsWithdrawnResources(nodeClass: ClientClass): boolean {
  return nodeClass === 'proxyless';
}
