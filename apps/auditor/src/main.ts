// The auditor process: configuration, then the shared host, then serve.
import { auditorConfigSchema } from '@platter/auditor';
import { PLATTER_VERSION, ServiceHost, runApp } from '@platter/service-host';

await runApp({ role: 'auditor', schema: auditorConfigSchema }, async (config) => {
  const host = ServiceHost.create({ role: 'auditor', config, version: PLATTER_VERSION });
  await host.serve();
});
