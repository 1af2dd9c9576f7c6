/** The kinds of process that register in etcd; one per app. */
export type Role = 'frontend' | 'namespace' | 'storage' | 'placement' | 'auditor' | 'repair';

export const ROLES: readonly Role[] = Object.freeze([
  'frontend',
  'namespace',
  'storage',
  'placement',
  'auditor',
  'repair',
]);

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
