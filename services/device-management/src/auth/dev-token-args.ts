import { idSchema } from '@opcfleet/contracts';
import { ROLES, type Role } from './principal';

export interface DevTokenRequest {
  tenant: string;
  roles: Role[];
  expiresIn: string;
}

export type ParsedDevTokenArgs =
  { ok: true; request: DevTokenRequest } | { ok: false; error: string };

export const DEV_TOKEN_USAGE =
  'usage: npm run token -- --role admin|operator|auditor[,...] [--tenant demo] [--expires 12h]';

/** The arguments of `npm run token`, checked: a wrong one names itself. */
export function parseDevTokenArgs(argv: readonly string[]): ParsedDevTokenArgs {
  const request: DevTokenRequest = { tenant: 'demo', roles: [], expiresIn: '12h' };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) return { ok: false, error: `${flag} needs a value` };
    if (flag === '--role') {
      for (const role of value.split(',')) {
        if (!(ROLES as readonly string[]).includes(role)) {
          return { ok: false, error: `unknown role "${role}" (one of ${ROLES.join(', ')})` };
        }
        request.roles.push(role as Role);
      }
    } else if (flag === '--tenant') {
      if (!idSchema.safeParse(value).success)
        return { ok: false, error: `invalid tenant id "${value}"` };
      request.tenant = value;
    } else if (flag === '--expires') {
      if (!/^\d{1,4}[smhd]$/.test(value))
        return { ok: false, error: `--expires takes e.g. 30m, 12h, 7d` };
      request.expiresIn = value;
    } else {
      return { ok: false, error: `unknown option ${flag}` };
    }
  }
  if (request.roles.length === 0) return { ok: false, error: '--role is required' };
  return { ok: true, request };
}
