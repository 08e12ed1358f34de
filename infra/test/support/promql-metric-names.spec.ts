import { metricNamesIn } from './promql-metric-names';

describe('metricNamesIn', () => {
  it('finds the metric of a quantile over a rate, not the functions, labels or durations', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.95, sum by (le, kind) (rate(opcfleet_dispatch_latency_seconds_bucket{kind="update"}[5m]))) > 1e3',
      ),
    ).toEqual(['opcfleet_dispatch_latency_seconds_bucket']);
  });

  it('finds both sides of a binary operation, with on/ignoring lists and offsets removed', () => {
    expect(
      metricNamesIn(
        'sum(rate(a_total{status=~"5.."}[5m])) without (instance) / ignoring (status) sum(rate(b_total[5m] offset 1h)) > bool 0.05',
      ),
    ).toEqual(['a_total', 'b_total']);
  });

  it('finds a bare selector and ignores Grafana variables', () => {
    expect(metricNamesIn('opcfleet_broker_connected{instance=~"$instance"} == 0')).toEqual([
      'opcfleet_broker_connected',
    ]);
    expect(metricNamesIn('rate(edge_agent_rollbacks_total[$__rate_interval])')).toEqual([
      'edge_agent_rollbacks_total',
    ]);
  });
});
