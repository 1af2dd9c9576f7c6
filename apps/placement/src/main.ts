// The placement process: configuration, then the shared host, then serve.
import { placementConfigSchema } from '@platter/placement';
import { PLATTER_VERSION, ServiceHost, runApp } from '@platter/service-host';

await runApp({ role: 'placement', schema: placementConfigSchema }, async (config) => {
  const host = ServiceHost.create({ role: 'placement', config, version: PLATTER_VERSION });
  await host.serve();
});
