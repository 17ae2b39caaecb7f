// Loads the .proto files listed in protos/protos.json at runtime, once per process. The static
// code in generated/ drops every option, and the validation rules live in options.
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

interface ProtoList {
  readonly includes: readonly string[];
  readonly entries: readonly string[];
}

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
let cachedRoot: protobuf.Root | undefined;

/** The reflection root of every Envoy/xDS proto the project compiles, loaded on first use. */
export function envoyProtos(): protobuf.Root {
  cachedRoot ??= loadRoot();
  return cachedRoot;
}

/** A message type by its fully-qualified name, with or without the leading dot. */
export function messageType(name: string): protobuf.Type {
  const found = findMessageType(name);
  if (!found) throw new Error(`no message type ${name} in the loaded protos`);
  return found;
}

export function findMessageType(name: string): protobuf.Type | undefined {
  const found = envoyProtos().lookup(name.startsWith('.') ? name : `.${name}`);
  return found instanceof protobuf.Type ? found : undefined;
}

/** protobufjs keeps the leading dot of a full name; Envoy's type URLs and our paths do not. */
export function typeName(type: protobuf.Type | protobuf.Enum): string {
  return type.fullName.replace(/^\./, '');
}

function loadRoot(): protobuf.Root {
  const list = JSON.parse(readFileSync(resolve(repoRoot, 'protos/protos.json'), 'utf8')) as ProtoList;
  const includes = list.includes.map((folder) => resolve(repoRoot, folder));
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    if (isAbsolute(target)) return target;
    // google/protobuf/*.proto that no folder holds are built into protobufjs: it falls back to
    // its own copy when given the bare name.
    return includes.map((folder) => resolve(folder, target)).find((path) => existsSync(path)) ?? target;
  };
  root.loadSync([...list.entries], { keepCase: true });
  root.resolveAll();
  return root;
}
