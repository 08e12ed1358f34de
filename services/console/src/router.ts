import { useEffect, useState } from 'react';

/** The console's pages, addressed by the URL hash (the service serves index.html at / only). */
export type Route =
  | { page: 'overview' }
  | { page: 'alerts' }
  | { page: 'audit'; filter: Record<string, string> }
  | { page: 'fleet'; status?: string; label?: string }
  | { page: 'client'; clientId: string }
  | { page: 'job'; jobId: string }
  | { page: 'releases' }
  | { page: 'release'; releaseId: string }
  | { page: 'rollouts'; clientIds?: string[] }
  | { page: 'rollout'; rolloutId: string };

export function parseRoute(hash: string): Route {
  const [path, query = ''] = hash.replace(/^#\/?/, '').split('?');
  const parts = path
    .split('/')
    .filter(Boolean)
    .map((part) => decodeURIComponent(part));
  if (parts[0] === 'clients' && parts[1]) return { page: 'client', clientId: parts[1] };
  if (parts[0] === 'jobs' && parts[1]) return { page: 'job', jobId: parts[1] };
  if (parts[0] === 'alerts') return { page: 'alerts' };
  if (parts[0] === 'audit')
    return { page: 'audit', filter: Object.fromEntries(new URLSearchParams(query)) };
  if (parts[0] === 'releases' && parts[1]) return { page: 'release', releaseId: parts[1] };
  if (parts[0] === 'releases') return { page: 'releases' };
  if (parts[0] === 'rollouts' && parts[1]) return { page: 'rollout', rolloutId: parts[1] };
  if (parts[0] === 'rollouts') {
    const clients = new URLSearchParams(query).get('clients');
    return { page: 'rollouts', ...(clients && { clientIds: clients.split(',').filter(Boolean) }) };
  }
  if (parts[0] === 'fleet') {
    const params = new URLSearchParams(query);
    return {
      page: 'fleet',
      ...(params.get('status') && { status: params.get('status')! }),
      ...(params.get('label') && { label: params.get('label')! }),
    };
  }
  return { page: 'overview' };
}

export const hrefOf = {
  overview: () => '#/',
  alerts: () => '#/alerts',
  /** The audit trail searched with `filter`: GET /audit/events' parameters, types joined by `,`. */
  audit: (filter: Record<string, string> = {}) => {
    const query = new URLSearchParams(filter).toString();
    return `#/audit${query ? `?${query}` : ''}`;
  },
  fleet: (filter: { status?: string; label?: string } = {}) => {
    const query = new URLSearchParams(filter as Record<string, string>).toString();
    return `#/fleet${query ? `?${query}` : ''}`;
  },
  client: (clientId: string) => `#/clients/${encodeURIComponent(clientId)}`,
  job: (jobId: string) => `#/jobs/${encodeURIComponent(jobId)}`,
  releases: () => '#/releases',
  release: (releaseId: string) => `#/releases/${encodeURIComponent(releaseId)}`,
  rollouts: (clientIds: string[] = []) =>
    clientIds.length > 0
      ? `#/rollouts?${new URLSearchParams({ clients: clientIds.join(',') })}`
      : '#/rollouts',
  rollout: (rolloutId: string) => `#/rollouts/${encodeURIComponent(rolloutId)}`,
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
