// The repair process: configuration, then the shared host, then serve.
import { repairConfigSchema } from '@platter/repair';
import { PLATTER_VERSION, ServiceHost, runApp } from '@platter/service-host';

await runApp({ role: 'repair', schema: repairConfigSchema }, async (config) => {
  const host = ServiceHost.create({ role: 'repair', config, version: PLATTER_VERSION });
  await host.serve();
});
