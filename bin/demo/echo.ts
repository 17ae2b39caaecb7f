// A minimal gRPC "who answered" service used by the demo and the tests: every backend
// answers `Hello` with its own name. Messages are raw UTF-8 bytes, so any gRPC client
// (grpc-js, or C-core from Python with identity serializers) can call it without a .proto.
import * as grpc from '@grpc/grpc-js';

export const helloPath = '/kubexds.demo.Echo/Hello';

const utf8 = {
  serialize: (value: string) => Buffer.from(value, 'utf8'),
  deserialize: (bytes: Buffer) => bytes.toString('utf8'),
};

export const echoService: grpc.ServiceDefinition = {
  Hello: {
    path: helloPath,
    requestStream: false,
    responseStream: false,
    requestSerialize: utf8.serialize,
    requestDeserialize: utf8.deserialize,
    responseSerialize: utf8.serialize,
    responseDeserialize: utf8.deserialize,
  },
};

export interface EchoBackend {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** Calls answered so far. */
  readonly served: () => number;
  stop(): Promise<void>;
}

/** Starts a backend on `address:port` (port 0 picks one) that answers with `name`. */
export async function startEchoBackend(name: string, address: string, port = 0): Promise<EchoBackend> {
  const server = new grpc.Server();
  let served = 0;
  server.addService(echoService, {
    Hello: (_call: grpc.ServerUnaryCall<string, string>, callback: grpc.sendUnaryData<string>) => {
      served++;
      callback(null, name);
    },
  });
  const boundPort = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${address}:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    name,
    address,
    port: boundPort,
    served: () => served,
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

export const EchoClient = grpc.makeGenericClientConstructor(echoService, 'Echo');

/** One Hello call; resolves with the name of the backend that answered. */
export function callHello(client: grpc.Client, deadlineMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest<string, string>(
      helloPath,
      utf8.serialize,
      utf8.deserialize,
      'hi',
      { deadline: Date.now() + deadlineMs },
      (error, reply) => (error ? reject(error) : resolve(reply!)),
    ),
  );
}
