import type { Infrastructure } from './embedded-infrastructure';

export interface BannerFacts {
  httpUrl: string;
  infrastructure: Infrastructure;
  /** A development token, when the service verifies HS256 tokens with a known secret. */
  token?: string;
  tenant: string;
}

/** What `npm start` prints: where everything is, a token, and the curls that start an update. */
export function startUpBanner({ httpUrl, infrastructure, token, tenant }: BannerFacts): string {
  const embedded = (yes: boolean) => (yes ? ' (embedded)' : '');
  const auth = token ? `-H "Authorization: Bearer $TOKEN"` : `-H "Authorization: Bearer <token>"`;
  const lines = [
    '',
    'opcfleet device management is running',
    `  API        ${httpUrl}/api/v1`,
    `  OpenAPI    ${httpUrl}/docs`,
    `  health     ${httpUrl}/health      metrics ${httpUrl}/metrics`,
    `  database   ${redact(infrastructure.databaseUrl)}${embedded(infrastructure.embedded.database)}`,
    `  MQTT       ${infrastructure.mqttUrl}${embedded(infrastructure.embedded.broker)}`,
    '',
  ];
  if (token) {
    lines.push(
      `Development token (tenant "${tenant}", role admin, 12 h${
        infrastructure.embedded.jwtSecret ? '; key kept in ./data/dev-jwt-secret' : ''
      }):`,
      `  export TOKEN=${token}`,
    );
  } else {
    lines.push('Tokens come from your identity provider (JWT_JWKS_URL).');
  }
  lines.push(
    '',
    'Register a client, then update it:',
    `  curl -s -X POST ${httpUrl}/api/v1/clients ${auth} -H 'content-type: application/json' \\`,
    `    -d '{"clientId":"line-1","labels":{"site":"demo"},"version":"2.0.0"}'`,
    `  curl -s -X POST ${httpUrl}/api/v1/clients/line-1/update ${auth} -H 'content-type: application/json' \\`,
    `    -d '{"targetVersion":"2.1.0","image":"registry.example.com/opc-core:2.1.0"}'`,
    `  curl -s ${httpUrl}/api/v1/clients/line-1 ${auth}`,
    '',
  );
  return lines.join('\n');
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable url)';
  }
}
