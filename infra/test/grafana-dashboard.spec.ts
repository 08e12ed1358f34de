import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exposedMetricNames, unknownMetricsIn } from './support/exposed-metrics';

interface Panel {
  id: number;
  type: string;
  title: string;
  panels?: Panel[];
  targets?: { refId: string; expr: string }[];
}

const DASHBOARD_FILE = join(__dirname, '../grafana/opcfleet-dashboard.json');
const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as {
  uid: string;
  panels: Panel[];
};
const allPanels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
const graphs = allPanels.filter((panel) => panel.type !== 'row');
const exprs = graphs.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));

/** What an operator looks at first, by the metric that shows it. */
const REQUIRED = {
  'request rate and latency': 'opcfleet_http_request_duration_seconds_bucket',
  'dispatch latency': 'opcfleet_dispatch_latency_seconds_bucket',
  'ingestion rate': 'opcfleet_status_messages_ingested_total',
  'projection lag': 'opcfleet_projection_lag_seconds',
  'broker connected': 'opcfleet_broker_connected',
  'agent job phase durations': 'edge_agent_update_phase_duration_seconds_bucket',
};

describe('Grafana dashboard (infra/grafana/opcfleet-dashboard.json)', () => {
  it('has panels with unique ids, each with at least one query', () => {
    expect(graphs.length).toBeGreaterThan(0);
    const ids = allPanels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(graphs.filter((panel) => !panel.targets?.length).map((panel) => panel.title)).toEqual(
      [],
    );
  });

  it.each(Object.entries(REQUIRED))('shows %s', (_what, metric) => {
    expect(exprs.some((expr) => expr.includes(metric))).toBe(true);
  });

  it("queries only metrics that the service's and the agent's /metrics expose", async () => {
    const exposed = await exposedMetricNames();
    const unknown = graphs.flatMap((panel) =>
      (panel.targets ?? []).flatMap((target) =>
        unknownMetricsIn(target.expr, exposed).map((name) => `${panel.title}: ${name}`),
      ),
    );
    expect(unknown).toEqual([]);
  });
});
