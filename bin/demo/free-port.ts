// A port to give a process that must listen on a known one (Envoy's listeners, a control
// plane restarted on the same address).
import { createServer } from 'node:net';

/** A port that was free a moment ago on `host` (Envoy's gateway listens on 0.0.0.0). */
export function freePort(host = '0.0.0.0'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
