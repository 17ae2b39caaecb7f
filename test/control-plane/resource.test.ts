// Resources encoded one at a time and in batches: the same bytes and versions either way; a
// batch shares one buffer, and reuses the resources it is given whose content is unchanged.
import { createHash } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { contentHash, encodeResource, encodeResources } from '../../control-plane/resource.ts';
import { TypeUrl } from '../../control-plane/types.ts';

const test = suite('resources');

const assignment = (name: string, address = '10.0.0.1') => ({
  cluster_name: name,
  endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address, port_value: 8080 } } } }] }],
});

test('a version is the first 96 bits of the SHA-256 in base64url, its digest the first 64', () => {
  for (const content of ['', 'a', 'type.googleapis.com/x\0name\0id', new Uint8Array([0, 1, 2, 255])]) {
    const sha = createHash('sha256').update(content).digest();
    assert.equal(contentHash(content), { version: sha.subarray(0, 12).toString('base64url'), digest: sha.readBigUInt64BE(0) });
  }
});

test('a batch encodes each resource as alone, into one buffer', () => {
  const messages = [
    { type: TypeUrl.Cluster, message: { name: 'c', eds_cluster_config: { service_name: 'c' }, type: 3 } },
    { type: TypeUrl.Endpoint, message: assignment('a') },
    { type: TypeUrl.Listener, message: { name: 'l' } },
  ] as const;
  const batch = encodeResources(messages);
  messages.forEach(({ type, message }, index) => {
    const alone = encodeResource(type, message);
    const resource = batch[index]!;
    assert.equal([resource.type, resource.name, resource.version, resource.digest, resource.edsServiceName], [alone.type, alone.name, alone.version, alone.digest, alone.edsServiceName]);
    assert.equal([...resource.any], [...alone.any]);
    assert.is(resource.any.buffer, batch[0]!.any.buffer);
  });
});

test('a batch returns a reusable resource of the same content as it is, and encodes the others anew', () => {
  const [kept, changed] = encodeResources([{ type: TypeUrl.Endpoint, message: assignment('a') }, { type: TypeUrl.Endpoint, message: assignment('b') }]);
  const reusable = new Map([kept!, changed!].map((resource) => [resource.version, resource]));
  const [keptAgain, changedNow] = encodeResources([{ type: TypeUrl.Endpoint, message: assignment('a') }, { type: TypeUrl.Endpoint, message: assignment('b', '10.0.0.2') }], reusable);
  assert.is(keptAgain, kept);
  assert.is.not(changedNow!.version, changed!.version);
  assert.is(changedNow!.any.byteLength, changedNow!.any.buffer.byteLength, 'the new bytes only, not the reused ones');
});

test('a resource without a name is refused', () => {
  assert.throws(() => encodeResources([{ type: TypeUrl.Listener, message: {} }]), /has no name/);
});

test.run();
