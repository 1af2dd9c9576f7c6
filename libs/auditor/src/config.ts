import { BaseConfigSchema } from '@platter/service-host';

/** Configuration of a auditor process: the base settings every service shares. */
export const auditorConfigSchema = BaseConfigSchema.extend({});
