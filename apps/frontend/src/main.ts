// The frontend process: configuration, then the shared host, then serve.
import { frontendConfigSchema } from '@platter/frontend';
import { PLATTER_VERSION, ServiceHost, runApp } from '@platter/service-host';

await runApp({ role: 'frontend', schema: frontendConfigSchema }, async (config) => {
  const host = ServiceHost.create({ role: 'frontend', config, version: PLATTER_VERSION });
  await host.serve();
});
