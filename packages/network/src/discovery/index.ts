export {
  Discovery,
  discover,
  discoverOnce,
  type DiscoverOnceOptions,
  type DiscoveryOptions,
  type DiscoveryStats,
  type MdnsBrowseOptions,
} from './discovery.js';
export {
  DEFAULT_BEACON_EXPIRY_MS,
  DEFAULT_BEACON_INTERVAL_MS,
  DEFAULT_BEACON_MULTICAST_TTL,
  type BeaconOptions,
} from './beacon.js';
export type { BeaconStats, MdnsStats, RejectCounts } from './counters.js';
export { joinDiscoveryGroup, type DiscoveryGroupOptions } from './discovery-group.js';
export { checkLocalInterface } from './options.js';
export {
  MdnsPublication,
  instanceNameFor,
  publishEndpoint,
  type EndpointInfo,
  type PublishOptions,
} from './mdns-publish.js';
export {
  MAX_TXT_STRING_BYTES,
  decodeEndpointTxt,
  encodeEndpointTxt,
  type EndpointAdvert,
} from './txt-record.js';
