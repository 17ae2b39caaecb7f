// The YAML library (about 70 modules) is loaded by the first kubeconfig or manifest parsed,
// not by importing the modules that parse them: in a cluster, kube-xds parses no YAML.
import { createRequire } from 'node:module';

type Yaml = typeof import('yaml');

let loaded: Yaml | undefined;

export function yaml(): Yaml {
  loaded ??= createRequire(import.meta.url)('yaml') as Yaml;
  return loaded;
}
