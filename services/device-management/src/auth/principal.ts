/** Roles carried in the token's `roles` claim. */
export const ROLES = ['admin', 'operator', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/** What the service knows about the caller once the token is verified. */
export interface Principal {
  /** JWT `sub`: recorded as the actor of every event the caller causes. */
  subject: string;
  /** JWT `tenant`: every command and query is scoped to it. */
  tenantId: string;
  roles: Role[];
}

/**
 * Who may do what: `admin` updates and configures, `operator` configures, `auditor` reads;
 * the tenant-wide audit trail (and the alerts' delivery log) is for `admin` and `auditor`;
 * webhook subscriptions for `admin`.
 */
export const PERMISSIONS = {
  read: ['admin', 'operator', 'auditor'],
  registerClient: ['admin'],
  update: ['admin'],
  configure: ['admin', 'operator'],
  audit: ['admin', 'auditor'],
  alerts: ['admin'],
} as const satisfies Record<string, readonly Role[]>;
export type Permission = keyof typeof PERMISSIONS;

export const may = (principal: Principal, permission: Permission) =>
  principal.roles.some((role) => (PERMISSIONS[permission] as readonly Role[]).includes(role));
