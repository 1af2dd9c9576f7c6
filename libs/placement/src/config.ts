import { BaseConfigSchema } from '@platter/service-host';

/** Configuration of a placement process: the base settings every service shares. */
export const placementConfigSchema = BaseConfigSchema.extend({});
