// The storage process: configuration, then the shared host, then serve.
import { storageConfigSchema } from '@platter/storage';
import { PLATTER_VERSION, ServiceHost, runApp } from '@platter/service-host';

await runApp({ role: 'storage', schema: storageConfigSchema }, async (config) => {
  const host = ServiceHost.create({ role: 'storage', config, version: PLATTER_VERSION });
  await host.serve();
});
