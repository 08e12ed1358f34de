/** The roles of the service (the token's `roles` claim) and what each may do in the console. */
export const ROLES = ['admin', 'operator', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Mirrors the service's PERMISSIONS (device-management auth/principal.ts), so the console
 * offers no action that the server would refuse; the server still enforces every one.
 */
const ACTIONS = {
  registerClient: ['admin'],
  update: ['admin'],
  cancelUpdate: ['admin'],
  registerRelease: ['admin'],
  withdrawRelease: ['admin'],
  configure: ['admin', 'operator'],
  manageAlerts: ['admin'],
  audit: ['admin', 'auditor'],
  cancelConfig: ['admin', 'operator'],
  startRollout: ['admin'],
  steerRollout: ['admin'],
} as const satisfies Record<string, readonly Role[]>;
export type Action = keyof typeof ACTIONS;

export function may(roles: readonly string[], action: Action): boolean {
  return roles.some((role) => (ACTIONS[action] as readonly string[]).includes(role));
}
