import type { google } from '../generated/envoy.js';

export function durationFromMs(ms: number): google.protobuf.IDuration {
  return { seconds: Math.floor(ms / 1000), nanos: Math.round((ms % 1000) * 1_000_000) };
}
