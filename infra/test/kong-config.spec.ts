import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import {
  CORRELATION_HEADER,
  correlationIdOf,
} from '../../services/device-management/src/http/correlation-id';
import { DEFAULT_BODY_LIMIT_BYTES } from '../../services/device-management/src/http/json-body';
import { ROLLOUT_BODY_LIMIT_BYTES } from '../../services/device-management/src/rollouts/start-rollout/start-rollout.request.dto';
import { K8S_DIR, kustomization, manifestObjects } from './support/k8s-objects';

interface Plugin {
  name: string;
  config: Record<string, any>;
}
interface Route {
  name: string;
  paths: string[];
  methods?: string[];
  protocols: string[];
  plugins?: Plugin[];
}
interface KongConfig {
  _format_version: string;
  services: { name: string; url: string; routes: Route[] }[];
  plugins: Plugin[];
  consumers: { username: string; jwt_secrets: { key: string; algorithm: string }[] }[];
}

const kong = load(readFileSync(join(K8S_DIR, 'kong/kong.yml'), 'utf8')) as KongConfig;
const routes = kong.services.flatMap((service) => service.routes);
const route = (name: string) => routes.find((candidate) => candidate.name === name)!;
const plugin = (of: { plugins?: Plugin[] }, name: string) =>
  of.plugins?.find((candidate) => candidate.name === name);

const objects = manifestObjects().map(({ object }) => object);
const serviceConfig = objects.find((o) => o.metadata.name === 'device-management-config')!.data!;
const kongContainer = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'kong')!
  .spec.template.spec.containers[0];
const kongEnv = Object.fromEntries(
  kongContainer.env.map((entry: { name: string; value: string }) => [entry.name, entry.value]),
);

const UNIT_BYTES: Record<string, number> = { bytes: 1, kilobytes: 1024, megabytes: 1024 * 1024 };
const sizeLimitBytes = (of: Route) => {
  const config = plugin(of, 'request-size-limiting')!.config;
  return config.allowed_payload_size * UNIT_BYTES[config.size_unit];
};

describe('Kong declarative configuration (infra/k8s/kong/kong.yml)', () => {
  it('runs Kong 3.7 without a database on this file, its Admin API off', () => {
    expect(kong._format_version).toBe('3.0');
    expect(kongContainer.image).toMatch(/\/kong:3\.7$/);
    expect(kongEnv.KONG_DATABASE).toBe('off');
    const mount = kongContainer.volumeMounts.find((m: { name: string }) => m.name === 'config');
    expect(kongEnv.KONG_DECLARATIVE_CONFIG).toBe(`${mount.mountPath}/kong.yml`);
    expect(kongEnv.KONG_ADMIN_LISTEN).toBe('off');
  });

  it("proxies to the service's Kubernetes Service and port", () => {
    const api = objects.find(
      (o) => o.kind === 'Service' && o.metadata.name === 'device-management',
    )!;
    expect(kong.services.map((service) => service.url)).toEqual([
      `http://${api.metadata.name}:${api.spec.ports[0].port}`,
    ]);
  });

  it('routes /api/v1 and the console /, over HTTPS, and keeps /metrics and /health inside', () => {
    expect(route('api').paths).toEqual(['/api/v1']);
    expect(route('api-start-rollout')).toMatchObject({
      paths: ['/api/v1/rollouts'],
      methods: ['POST'],
    });
    expect(route('console').paths).toEqual(['/']);
    for (const name of ['api', 'api-start-rollout', 'console'])
      expect([name, route(name).protocols]).toEqual([name, ['https']]);
    expect(route('internal').paths.sort()).toEqual(['/health', '/metrics']);
    expect(plugin(route('internal'), 'request-termination')!.config.status_code).toBe(404);
  });

  it('checks the JWT of every /api/v1 request as the service does: same issuer, lifetime, query token', () => {
    const apiRoutes = routes.filter((r) => r.paths.some((path) => path.startsWith('/api/v1')));
    expect(apiRoutes.length).toBe(2);
    for (const apiRoute of apiRoutes) {
      const jwt = plugin(apiRoute, 'jwt')!.config;
      expect(jwt).toMatchObject({
        key_claim_name: 'iss',
        claims_to_verify: ['exp'],
        maximum_expiration: Number(serviceConfig.JWT_MAX_LIFETIME_SECONDS),
      });
      // GET /api/v1/jobs/changes (EventSource) sends its token as ?access_token=.
      expect(jwt.uri_param_names).toEqual(['access_token']);
    }
    expect(plugin(route('console'), 'jwt')).toBeUndefined();
    const secrets = kong.consumers.flatMap((consumer) => consumer.jwt_secrets);
    expect(secrets).toEqual([
      expect.objectContaining({ key: serviceConfig.JWT_ISSUER, algorithm: 'RS256' }),
    ]);
  });

  it('limits the request rate per client on every public route', () => {
    for (const name of ['api', 'api-start-rollout', 'console']) {
      const limits = plugin(route(name), 'rate-limiting')!.config;
      expect([name, limits.limit_by, limits.second > 0, limits.minute >= limits.second]).toEqual([
        name,
        'ip',
        true,
        true,
      ]);
    }
  });

  it("limits bodies to the service's own limits: 256 KiB, 2 MiB to start a rollout", () => {
    expect(sizeLimitBytes(route('api'))).toBe(DEFAULT_BODY_LIMIT_BYTES);
    expect(sizeLimitBytes(route('api-start-rollout'))).toBe(ROLLOUT_BODY_LIMIT_BYTES);
    expect(sizeLimitBytes(route('console'))).toBeLessThanOrEqual(DEFAULT_BODY_LIMIT_BYTES);
  });

  it('gives every request an X-Correlation-Id the service keeps', () => {
    const correlation = plugin(kong, 'correlation-id')!.config;
    expect(correlation.header_name.toLowerCase()).toBe(CORRELATION_HEADER);
    expect(correlation.echo_downstream).toBe(true);
    expect(correlation.generator).toBe('uuid');
    const seenByService = (id: string) =>
      correlationIdOf(
        { headers: { [CORRELATION_HEADER]: id } } as unknown as IncomingMessage,
        { setHeader: () => undefined } as unknown as ServerResponse,
      );
    const uuid = randomUUID();
    expect(seenByService(uuid)).toBe(uuid);
    // What Kong's uuid#counter generator makes would be replaced: the ids would not match.
    expect(seenByService(`${uuid}#42`)).not.toBe(`${uuid}#42`);
  });

  it("answers Kong's own 5xx (no replica, timeout) as JSON in the service's error shape", () => {
    expect(kongEnv.KONG_ERROR_DEFAULT_TYPE).toBe('application/json');
    const mount = kongContainer.volumeMounts.find((m: { name: string }) => m.name === 'config');
    const file = kongEnv.KONG_ERROR_TEMPLATE_JSON.slice(mount.mountPath.length + 1);
    expect(kustomization().configMapGenerator[0].files).toContain(`kong/${file}`);
    const template = readFileSync(join(K8S_DIR, 'kong', file), 'utf8');
    expect(template.match(/%s/g)).toHaveLength(1);
    const body = JSON.parse(
      template.replace('%s', 'An invalid response was received from the upstream server'),
    );
    expect(Object.keys(body).sort()).toEqual(['error', 'message']);
  });
});
