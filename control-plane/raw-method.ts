// A gRPC method definition that hands over and takes raw bytes: requests are decoded and
// responses encoded by the services themselves (responses once, shared across streams).
import type * as grpc from '@grpc/grpc-js';

const identity = (value: Buffer) => value;

export function rawMethod(service: string, name: string, streaming: boolean): grpc.MethodDefinition<Buffer, Buffer> {
  return {
    path: `/${service}/${name}`,
    requestStream: streaming,
    responseStream: streaming,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  };
}
