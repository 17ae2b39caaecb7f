// Which Service ports get resources, and what they speak (protocol, appProtocol, name).
import type { ServiceModel, ServicePortModel } from '../k8s/model.ts';

export interface ServicePort {
  readonly service: ServiceModel;
  readonly port: ServicePortModel;
}

/** HTTP routing needs TCP: UDP and SCTP ports get no resources. */
export function routablePorts(service: ServiceModel): ServicePortModel[] {
  return service.ports.filter((port) => port.protocol === 'TCP');
}

export function speaksGrpc(port: ServicePortModel): boolean {
  return port.appProtocol === 'grpc' || port.name.startsWith('grpc');
}

/** HTTP/2 without TLS (prior knowledge) to the endpoints: gRPC and h2c ports. */
export function speaksHttp2(port: ServicePortModel): boolean {
  return speaksGrpc(port) || port.appProtocol === 'kubernetes.io/h2c' || port.name.startsWith('h2c');
}
