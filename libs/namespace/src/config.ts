import { BaseConfigSchema } from '@platter/service-host';

/** Configuration of a namespace process: the base settings every service shares. */
export const namespaceConfigSchema = BaseConfigSchema.extend({});
