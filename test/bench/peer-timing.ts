// The small look-ups the peer benchmarks make on a client's calls, and their pods.
import { freePort } from '../../bin/demo/free-port.ts';
import { podAddresses, type Pod } from '../e2e/support.ts';
import { PeerBackends, type PeerClient } from '../support/peers.ts';

/** Index of the first call at or after `from` answered by one of `names`; -1 if none. */
export function firstCall(client: PeerClient, from: number, names: ReadonlySet<string>): number {
  for (let i = from; i < client.calls.length; i++) if (names.has(client.calls[i]!.backend)) return i;
  return -1;
}

/** Index of the last call at or after `from` answered by one of `names`; -1 if none. */
export function lastCall(client: PeerClient, from: number, names: ReadonlySet<string>): number {
  for (let i = client.calls.length - 1; i >= from; i--) if (names.has(client.calls[i]!.backend)) return i;
  return -1;
}

/** One Go backend process playing a pod on each of 127.0.0.2-6, all on one fresh port. */
export async function startPods(names: readonly string[]): Promise<{ backends: PeerBackends; pods: Pod[] }> {
  const port = await freePort(podAddresses[0]);
  const backends = await PeerBackends.start({ grpc: names.map((name, i) => `${name}=${podAddresses[i]}:${port}`) });
  return { backends, pods: names.map((name) => backends.get(name)) };
}
