// The bootstrap JSON of proxyless gRPC clients, accepted by every client of
// docs/compatibility.md. Clients read it from the file named by GRPC_XDS_BOOTSTRAP.

export interface GrpcBootstrapInput {
  /** `host:port` of the control plane. */
  readonly serverUri: string;
  readonly nodeId: string;
  /** The client's zone ('' when unknown). */
  readonly zone?: string;
  readonly nodeCluster?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface GrpcBootstrap {
  xds_servers: { server_uri: string; channel_creds: { type: 'insecure' }[]; server_features: string[] }[];
  node: { id: string; cluster?: string; locality: { zone?: string }; metadata?: Record<string, string> };
}

export function grpcBootstrap(input: GrpcBootstrapInput): GrpcBootstrap {
  return {
    // `insecure` is the one channel credential both clients accept here (no TLS in the
    // bootstrap); `xds_v3` selects the v3 protocol.
    xds_servers: [{ server_uri: input.serverUri, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
    node: {
      id: input.nodeId,
      ...(input.nodeCluster && { cluster: input.nodeCluster }),
      // grpc-js refuses a bootstrap without node.locality, even an empty one.
      locality: input.zone ? { zone: input.zone } : {},
      ...(input.metadata && { metadata: { ...input.metadata } }),
    },
  };
}
