import { envoy } from '../generated/envoy.js';

/** Every dynamic resource comes over the one ADS stream, in v3. */
export function adsConfigSource(): envoy.config.core.v3.IConfigSource {
  return { ads: {}, resource_api_version: envoy.config.core.v3.ApiVersion.V3 };
}
