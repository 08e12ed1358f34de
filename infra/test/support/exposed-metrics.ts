import pino from 'pino';
import { AgentMetrics } from '../../../edge-agent/src/inspection/agent-metrics';
import { InspectionServer } from '../../../edge-agent/src/inspection/inspection-server';
import { loadMessagingConfig } from '../../../services/device-management/src/messaging/messaging.config';
import { ApiApp } from '../../../services/device-management/test/support/api-app';
import {
  startTestAedes,
  uniqueTestId,
} from '../../../services/device-management/test/support/brokers';
import { metricNamesIn } from './promql-metric-names';

/**
 * The series names a Prometheus exposition text declares: every `# TYPE` line (a labelled
 * counter with nothing counted yet has no sample line, but Prometheus will see it), with a
 * histogram's and a summary's derived series, and every sample line.
 */
export function seriesNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) {
      const [, name, kind] = type;
      names.add(name);
      if (kind === 'histogram')
        for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
      if (kind === 'summary') for (const suffix of ['_sum', '_count']) names.add(name + suffix);
    } else if (line && !line.startsWith('#')) {
      names.add(line.split(/[{ ]/)[0]);
    }
  }
  return names;
}

/** Series Prometheus adds to every scrape target itself, so no `/metrics` shows them. */
const SCRAPE_SERIES = ['up', 'scrape_duration_seconds', 'scrape_samples_scraped'];

async function scrape(url: string): Promise<Set<string>> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
  return seriesNames(await response.text());
}

/**
 * The service as it is deployed (PostgreSQL and a broker, so the MQTT side registers its
 * metrics too) and the agent's inspection endpoint, each scraped once over HTTP.
 */
export async function exposedMetricNames(): Promise<Set<string>> {
  const broker = await startTestAedes();
  const api = await ApiApp.start({
    messaging: loadMessagingConfig({ MQTT_URL: broker.url, MQTT_CLIENT_ID: uniqueTestId('svc') }),
  });
  const agent = new InspectionServer(
    {
      metrics: new AgentMetrics(() => 0),
      health: async () => ({ ok: true }),
      state: async () => ({}),
    },
    pino({ level: 'silent' }),
  );
  try {
    const agentPort = await agent.listen('127.0.0.1', 0);
    const [service, device] = await Promise.all([
      scrape(`${api.url}/metrics`),
      scrape(`http://127.0.0.1:${agentPort}/metrics`),
    ]);
    return new Set([...service, ...device, ...SCRAPE_SERIES]);
  } finally {
    await agent.close();
    await api.stop();
    await broker.close();
  }
}

/** The metric names of `expr` that no target exposes. */
export function unknownMetricsIn(expr: string, exposed: Set<string>): string[] {
  return metricNamesIn(expr).filter((name) => !exposed.has(name));
}
