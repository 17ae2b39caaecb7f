// The manifests in examples/ load through the real file source into the model they
// promise, with nothing rejected or warned about, so the examples cannot rot.
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FileSource } from '../../k8s/file-source.ts';
import { captureLog } from '../support/capture-log.ts';

const folder = fileURLToPath(new URL('../../examples/file-source', import.meta.url));

test('examples/file-source: a gRPC Service drained in one of two zones, and an HTTP Service', async () => {
  const log = captureLog();
  const source = new FileSource(folder, { resyncMs: 0 });
  try {
    await source.start();
    assert.equal(Object.fromEntries(source.services()), {
      'demo/echo': {
        namespace: 'demo',
        name: 'echo',
        ports: [
          {
            name: 'grpc',
            port: 50051,
            protocol: 'TCP',
            appProtocol: 'grpc',
            endpoints: [
              { address: '127.0.0.2', port: 50051, zone: 'zone-a', health: 'HEALTHY', pod: 'echo-5d8c7-a1' },
              { address: '127.0.0.3', port: 50051, zone: 'zone-a', health: 'HEALTHY', pod: 'echo-5d8c7-a2' },
              { address: '127.0.0.4', port: 50051, zone: 'zone-b', health: 'HEALTHY', pod: 'echo-5d8c7-b1' },
              { address: '127.0.0.5', port: 50051, zone: 'zone-b', health: 'DRAINING', pod: 'echo-5d8c7-b2' },
            ],
          },
        ],
        ipFamily: 'IPv4',
        annotations: {},
      },
      'demo/web': {
        namespace: 'demo',
        name: 'web',
        ports: [
          {
            name: 'http',
            port: 80,
            protocol: 'TCP',
            endpoints: [
              { address: '127.0.0.6', port: 8000, zone: 'zone-a', health: 'HEALTHY' },
              { address: '127.0.0.7', port: 8000, zone: 'zone-b', health: 'HEALTHY' },
            ],
          },
        ],
        ipFamily: 'IPv4',
        annotations: {},
      },
    });
    assert.equal(source.status(), { synced: true, connected: true, badObjects: 0, rejectedObjects: 0, duplicateObjects: 0, restarts: 0, routes: { total: 0, withProblems: 0 } });
    assert.equal(log.lines.filter((line) => line.level !== 'info' && line.level !== 'debug'), []);
  } finally {
    await source.stop();
    log.restore();
  }
});

test.run();
