// Proxyless gRPC clients for tests: real grpc-js + grpc-js-xds channels to `xds:///`
// targets, each with its own bootstrap (grpc-js-xds reads the global one once per process).
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { EchoClient, callHello } from '../../bin/demo/echo.ts';

grpcXds.register();

export function testBootstrap(xdsAddress: string, nodeId = 'test-client'): object {
  return {
    xds_servers: [{ server_uri: xdsAddress, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
    node: { id: nodeId, locality: { zone: 'zone-a' } },
  };
}

export function xdsEchoClient(target: string, bootstrap: object, options: grpc.ChannelOptions = {}): grpc.Client {
  return new EchoClient(`xds:///${target}`, grpc.credentials.createInsecure(), {
    'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config': JSON.stringify(bootstrap),
    ...options,
  });
}

/** Makes `count` sequential calls and counts answers per backend name; failures are counted too. */
export async function tally(client: grpc.Client, count: number): Promise<{ byBackend: Map<string, number>; failures: number }> {
  const byBackend = new Map<string, number>();
  let failures = 0;
  for (let i = 0; i < count; i++) {
    try {
      const name = await callHello(client);
      byBackend.set(name, (byBackend.get(name) ?? 0) + 1);
    } catch {
      failures++;
    }
  }
  return { byBackend, failures };
}
