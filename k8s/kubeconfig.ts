// Where the Kubernetes client configuration comes from: --kubeconfig, else KUBECONFIG or
// ~/.kube/config, else the in-cluster service account. client-node alone would silently
// fall back to http://localhost:8080; we fail with a clear configuration error instead.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { configError, describeError, KubeXdsError } from '../common/errors.ts';

const serviceAccountToken = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export function loadKubeConfig(path?: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  try {
    if (path !== undefined) kubeConfig.loadFromFile(path);
    else if (process.env.KUBECONFIG || existsSync(join(homedir(), '.kube', 'config'))) kubeConfig.loadFromDefault();
    else if (existsSync(serviceAccountToken)) kubeConfig.loadFromCluster();
    else throw configError('no Kubernetes configuration: pass --kubeconfig, set KUBECONFIG, or run inside a cluster');
  } catch (error) {
    if (error instanceof KubeXdsError) throw error;
    throw configError(`cannot load the Kubernetes configuration${path === undefined ? '' : ` ${path}`}: ${describeError(error)}`, { path });
  }
  if (kubeConfig.getCurrentCluster() === null) {
    throw configError('the Kubernetes configuration names no current cluster (current-context)', { path });
  }
  return kubeConfig;
}
