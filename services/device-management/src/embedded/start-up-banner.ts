import { join } from 'node:path';
import type { Infrastructure } from './embedded-infrastructure';

export interface BannerFacts {
  httpUrl: string;
  infrastructure: Infrastructure;
  /** A development token, when the service verifies HS256 tokens with a known secret. */
  token?: string;
  tenant: string;
}

/**
 * What `npm start` prints: where everything is (the data directory it really uses), a token,
 * and the lines that register a client, connect its agent with its own credential and update it.
 */
export function startUpBanner({ httpUrl, infrastructure, token, tenant }: BannerFacts): string {
  const { embedded, dataDir } = infrastructure;
  const mark = (yes: boolean) => (yes ? ' (embedded)' : '');
  const auth = token ? `-H "Authorization: Bearer $TOKEN"` : `-H "Authorization: Bearer <token>"`;
  const kept = [
    embedded.database && 'pglite/',
    embedded.jwtSecret && 'dev-jwt-secret',
    embedded.broker && 'mqtt-service-password',
  ].filter(Boolean);
  const lines = [
    '',
    'opcfleet device management is running',
    `  console    ${httpUrl}/${
      embedded.jwtSecret ? '   (development sign-in: demo admin, operator, auditor)' : ''
    }`,
    `  API        ${httpUrl}/api/v1`,
    `  OpenAPI    ${httpUrl}/docs`,
    `  health     ${httpUrl}/health      metrics ${httpUrl}/metrics`,
    `  database   ${redact(infrastructure.databaseUrl)}${mark(embedded.database)}`,
    `  MQTT       ${infrastructure.mqttUrl}${mark(embedded.broker)}`,
    ...(kept.length > 0 ? [`  data       ${dataDir} (${kept.join(', ')})`] : []),
    '',
  ];
  if (token) {
    lines.push(
      `Development token (tenant "${tenant}", role admin, 12 h${
        embedded.jwtSecret ? `; key kept in ${join(dataDir, 'dev-jwt-secret')}` : ''
      }):`,
      `  export TOKEN=${token}`,
    );
  } else {
    lines.push('Tokens come from your identity provider (JWT_JWKS_URL).');
  }
  const client = 'line-1';
  lines.push(
    '',
    'Register a client:',
    `  curl -s -X POST ${httpUrl}/api/v1/clients ${auth} -H 'content-type: application/json' \\`,
    `    -d '{"clientId":"${client}","labels":{"site":"demo"},"version":"2.0.0"}'`,
  );
  if (embedded.broker) {
    lines.push(
      'Give it a device credential (shown once; POST again to rotate, DELETE to revoke) and run its agent:',
      `  export MQTT_PASSWORD=$(curl -s -X POST ${httpUrl}/api/v1/clients/${client}/credentials ${auth} \\`,
      `    | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).password')`,
      `  EDGE_AGENT_TENANT_ID=${tenant} EDGE_AGENT_CLIENT_ID=${client} EDGE_AGENT_MQTT_URL=${infrastructure.mqttUrl} \\`,
      `  EDGE_AGENT_MQTT_USERNAME=tenants/${tenant}/clients/${client} EDGE_AGENT_MQTT_PASSWORD="$MQTT_PASSWORD" \\`,
      `  EDGE_AGENT_WORKLOAD_CONTAINER=opc-core EDGE_AGENT_CONFIG_DIR=/srv/opc-core/config \\`,
      `  EDGE_AGENT_DATA_DIR=${join(dataDir, `agent-${client}`)} npm run agent -- run`,
    );
  } else {
    lines.push(
      `Its agent connects to ${infrastructure.mqttUrl} with its own certificate (infra/pki).`,
    );
  }
  lines.push(
    'Update it and watch:',
    `  curl -s -X POST ${httpUrl}/api/v1/clients/${client}/update ${auth} -H 'content-type: application/json' \\`,
    `    -d '{"targetVersion":"2.1.0","image":"registry.example.com/opc-core:2.1.0"}'`,
    `  curl -s ${httpUrl}/api/v1/clients/${client} ${auth}`,
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
