import { BaseConfigSchema } from '@platter/service-host';

/** Configuration of a repair process: the base settings every service shares. */
export const repairConfigSchema = BaseConfigSchema.extend({});
