// API server access through client-node, for kubeconfig users and clusters that need more
// than a token or certificates: exec credential plugins, auth providers, basic auth,
// impersonation, proxies. client-node is loaded by the first request, not before.
import type { OutgoingHttpHeaders } from 'node:http';
import type { RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ApiAccess, RequestSettings } from './api-access.ts';

/** `kubeconfig`: one cluster, user and context, as a kubeconfig file holds them. */
export function clientNodeAccess(server: string, kubeconfig: Readonly<Record<string, unknown>>): ApiAccess {
  let loaded: Promise<KubeConfig> | undefined;
  return {
    server: server.replace(/\/+$/, ''),
    async settings(): Promise<RequestSettings> {
      loaded ??= load(kubeconfig);
      const kubeConfig = await loaded;
      const options: RequestOptions = {};
      // Runs the exec plugin or refreshes the auth provider's token when needed, and gives
      // the agent (cached by client-node) for TLS and proxies.
      await kubeConfig.applyToHTTPSOptions(options);
      const settings: RequestSettings = { agent: options.agent as RequestSettings['agent'], headers: (options.headers ?? {}) as OutgoingHttpHeaders };
      return options.auth ? { ...settings, auth: options.auth } : settings;
    },
  };
}

async function load(kubeconfig: Readonly<Record<string, unknown>>): Promise<KubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kubeConfig = new KubeConfig();
  // JSON is YAML: client-node maps the kubeconfig fields onto its own types.
  kubeConfig.loadFromString(JSON.stringify(kubeconfig));
  return kubeConfig;
}
