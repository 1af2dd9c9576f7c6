export const PLATTER_VERSION = '0.1.0';
