// Building a Service's model costs what its ports and slices hold, not their product: a Service
// with thousands of ports must not stall the control plane on every change of its endpoints.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildServiceModel, readEndpointSlice, readService, type SliceRecord } from '../../k8s/normalize.ts';
import { endpoint, service, slice } from './fixtures.ts';

test('each slice port is read a bounded number of times, however many ports the Service has', () => {
  const servicePorts = 2_000;
  const slices = 20;
  const portsPerSlice = 100;
  const big = readService(service('big', { ports: Array.from({ length: servicePorts }, (_, i) => ({ name: `p${i}`, port: i + 1 })) }));
  let reads = 0;
  const counted = (record: SliceRecord): SliceRecord => ({
    ...record,
    ports: new Proxy([...record.ports], {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
        return Reflect.get(target, key, receiver);
      },
    }),
  });
  const records = Array.from({ length: slices }, (_, s) =>
    counted(readEndpointSlice(slice(`big-${s}`, {
      service: 'big',
      ports: Array.from({ length: portsPerSlice }, (_, j) => ({ name: `p${s * portsPerSlice + j}`, port: 8_000 + j })),
      endpoints: [endpoint(`10.0.${s}.1`)],
    }))));
  const model = buildServiceModel(big, records);
  assert.is(model.ports.reduce((sum, port) => sum + port.endpoints.length, 0), slices * portsPerSlice);
  assert.equal(model.ports[1]!.endpoints.map((e) => `${e.address}:${e.port}`), ['10.0.0.1:8001']);
  // Scanning every slice port for every Service port would read 2,000 × 2,000 of them.
  assert.ok(reads <= 2 * slices * portsPerSlice, `${reads} reads of ${slices * portsPerSlice} slice ports`);
});

test.run();
