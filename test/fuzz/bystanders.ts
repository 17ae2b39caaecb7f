// Well-behaved clients that stay connected beside a fuzzer: after each snapshot change they
// must receive exactly the new endpoints, on both wire formats.
import { TypeUrl } from '../../control-plane/types.ts';
import { envoy } from '../../generated/envoy.js';
import type { AdsFixture } from '../support/ads-fixture.ts';
import { clusterName, routeName, type HandBuiltService } from '../support/hand-built.ts';
import { envoyNode, grpcNode, type RawAdsClient } from '../support/raw-ads-client.ts';
import { describeResponse, type RawDeltaClient } from '../support/raw-delta-client.ts';

const { Cluster: CDS, Endpoint: EDS, Listener: LDS, Route: RDS } = TypeUrl;
const { ClusterLoadAssignment } = envoy.config.endpoint.v3;

export class Bystanders {
  readonly #sotw: RawAdsClient;
  readonly #delta: RawDeltaClient;
  readonly #service: HandBuiltService;

  private constructor(sotw: RawAdsClient, delta: RawDeltaClient, service: HandBuiltService) {
    this.#sotw = sotw;
    this.#delta = delta;
    this.#service = service;
  }

  /** A proxyless SotW client holding all four resources of `service`, and an Envoy delta client (CDS wildcard, its EDS). */
  static async connect(ads: AdsFixture, service: HandBuiltService): Promise<Bystanders> {
    const cluster = clusterName(service.target);
    const sotw = ads.client(grpcNode('bystander-sotw'));
    for (const [type, name] of [[LDS, service.target], [RDS, routeName(service.target)], [CDS, cluster], [EDS, cluster]] as const) {
      sotw.request(type, [name]);
      await sotw.nextOf(type);
      sotw.request(type, [name]); // ACK
    }
    const delta = ads.deltaClient(envoyNode('bystander-delta', 'gateway'));
    delta.request(CDS);
    delta.ack(await delta.nextOf(CDS));
    delta.request(EDS, { subscribe: [cluster] });
    delta.ack(await delta.nextOf(EDS));
    return new Bystanders(sotw, delta, service);
  }

  /**
   * After the snapshot moved the service's endpoints to `addresses`: the next response of
   * each bystander is that one ClusterLoadAssignment with exactly those endpoints. Returns
   * what is wrong, or undefined.
   */
  async checkMovedTo(addresses: readonly string[]): Promise<string | undefined> {
    const cluster = clusterName(this.#service.target);
    const want = [...addresses].sort().join(', ');
    const sotw = await this.#sotw.next().catch((error: Error) => error);
    if (sotw instanceof Error) return `the SotW bystander got no push: ${sotw.message}`;
    if (sotw.type !== EDS || sotw.names.join() !== cluster) return `the SotW bystander got ${sotw.type} [${sotw.names.join(', ')}] instead of the moved endpoints`;
    const sotwGot = endpointsOf(sotw.resources[0]?.value);
    if (sotwGot !== want) return `the SotW bystander got endpoints [${sotwGot}], expected [${want}]`;
    this.#sotw.request(EDS, [cluster]);

    const delta = await this.#delta.next().catch((error: Error) => error);
    if (delta instanceof Error) return `the delta bystander got no push: ${delta.message}`;
    if (delta.type !== EDS || delta.resources.length !== 1 || delta.resources[0]!.name !== cluster || delta.removed.length > 0) {
      return `the delta bystander got ${describeResponse(delta)} instead of the moved endpoints`;
    }
    const deltaGot = endpointsOf(delta.resources[0]!.any?.value);
    if (deltaGot !== want) return `the delta bystander got endpoints [${deltaGot}], expected [${want}]`;
    this.#delta.ack(delta);
    return undefined;
  }
}

function endpointsOf(bytes: Uint8Array | null | undefined): string {
  const assignment = ClusterLoadAssignment.decode(bytes ?? new Uint8Array());
  return (assignment.endpoints ?? [])
    .flatMap((locality) => locality.lb_endpoints ?? [])
    .map((lb) => lb.endpoint?.address?.socket_address?.address ?? '?')
    .sort()
    .join(', ');
}
