// The envoy-config builders the pipeline calls, as one value: a test can make one fail.
import { serviceResources, sharedRouting } from '../envoy-config/build.ts';
import { serviceLoadAssignments } from '../envoy-config/endpoints.ts';

export interface Builders {
  /** The resources that depend on one Service alone, for one class. */
  readonly serviceResources: typeof serviceResources;
  /** Envoy's listeners and RouteConfigurations, which span Services. */
  readonly sharedRouting: typeof sharedRouting;
  /** A Service's ClusterLoadAssignments (the same for every class): the endpoints fast path. */
  readonly serviceLoadAssignments: typeof serviceLoadAssignments;
}

export const envoyConfigBuilders: Builders = Object.freeze({ serviceResources, sharedRouting, serviceLoadAssignments });
