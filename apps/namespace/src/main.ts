// The namespace process: configuration, then the shared host, then serve.
import { namespaceConfigSchema } from '@platter/namespace';
import { PLATTER_VERSION, ServiceHost, runApp } from '@platter/service-host';

await runApp({ role: 'namespace', schema: namespaceConfigSchema }, async (config) => {
  const host = ServiceHost.create({ role: 'namespace', config, version: PLATTER_VERSION });
  await host.serve();
});
