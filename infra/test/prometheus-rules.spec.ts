import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { exposedMetricNames, unknownMetricsIn } from './support/exposed-metrics';

interface Rule {
  alert?: string;
  record?: string;
  expr?: string;
  for?: string;
  labels?: { severity?: string };
  annotations?: { summary?: string };
}

const RULES_FILE = join(__dirname, '../prometheus/opcfleet.rules.yml');
/** Put there by infra/scripts/test-env.d/30-promtool.sh (npm test runs it). */
const PROMTOOL = join(
  process.env.OPCFLEET_STATE_DIR ?? join(__dirname, '../../.tmp/infra'),
  'promtool/promtool',
);
const groups = (
  load(readFileSync(RULES_FILE, 'utf8')) as { groups: { name: string; rules: Rule[] }[] }
).groups;
const rules = groups.flatMap((group) => group.rules);

/** The alerts an operator needs before anything else (issue 13), by the metric each one reads. */
const REQUIRED = {
  'dispatch stuck': 'opcfleet_commands_dispatched_total',
  'projection lag': 'opcfleet_projection_lag_seconds',
  'jobs stuck or timing out': 'opcfleet_jobs',
  'broker disconnected': 'opcfleet_broker_connected',
  'status messages dropped': 'opcfleet_status_messages_dropped_total',
  '5xx rate': 'opcfleet_http_request_duration_seconds_count',
};

describe('Prometheus alert rules (infra/prometheus/opcfleet.rules.yml)', () => {
  it('are alerts with an expression, a for, a severity and a summary, and unique names', () => {
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      expect({ rule: rule.alert, expr: typeof rule.expr, for: rule.for }).toEqual({
        rule: expect.stringMatching(/^[A-Z][A-Za-z0-9]+$/),
        expr: 'string',
        for: expect.stringMatching(/^\d+[smh]$/),
      });
      expect([rule.alert, rule.labels?.severity]).toEqual([
        rule.alert,
        expect.stringMatching(/^(critical|warning|info)$/),
      ]);
      expect([rule.alert, rule.annotations?.summary]).toEqual([rule.alert, expect.any(String)]);
    }
    const names = rules.map((rule) => rule.alert);
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(Object.entries(REQUIRED))('have an alert for %s', (_what, metric) => {
    expect(rules.some((rule) => rule.expr!.includes(metric))).toBe(true);
  });

  it("reads only metrics that the service's and the agent's /metrics expose", async () => {
    const exposed = await exposedMetricNames();
    const unknown = rules.flatMap((rule) =>
      unknownMetricsIn(rule.expr!, exposed).map((name) => `${rule.alert}: ${name}`),
    );
    expect(unknown).toEqual([]);
    // The check itself: a misspelt metric would be caught.
    expect(unknownMetricsIn('opcfleet_broker_conected == 0', exposed)).toEqual([
      'opcfleet_broker_conected',
    ]);
  });

  it("pass Prometheus' own checks and unit tests (promtool: opcfleet.rules.test.yml)", () => {
    const promtool = (...args: string[]) =>
      execFileSync(PROMTOOL, args, { cwd: join(__dirname, '../prometheus'), encoding: 'utf8' });
    expect(promtool('check', 'rules', 'opcfleet.rules.yml')).toMatch(
      `SUCCESS: ${rules.length} rules found`,
    );
    expect(promtool('test', 'rules', 'opcfleet.rules.test.yml')).toMatch('SUCCESS');
  });
});
