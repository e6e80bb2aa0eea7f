/**
 * deploy/grafana/ as Grafana would load it in the compose stack: the provisioning files parse
 * and point at what exists (the dashboards folder through the grafana service's mounts, the
 * datasources at compose services), every panel's datasource is provisioned, every Prometheus
 * query names only series the processes export (src/metrics/index.ts), and every InfluxQL
 * query reads the measurements and tags the product writes (influx-layout.ts).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  DEVICE_TAG,
  ORG_TAG,
  measurementOf,
  rollupMeasurementOf,
} from '../../src/adapters/telemetry-store/influx-layout.js';
import { exportedMetricNames } from '../../src/metrics/index.js';
import { PER_TARGET_SERIES, familyOf, promqlMetricNames } from '../support/promql.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const GRAFANA = 'deploy/grafana';
const DASHBOARDS = `${GRAFANA}/dashboards`;

// ---------------------------------------------------------------- PromQL

/** A variable's Prometheus query: `label_values(selector, label)` selects from `selector`. */
function variableExpression(query: string): string | undefined {
  const labelValues = /^\s*label_values\(\s*(.+?)\s*,\s*[A-Za-z_]\w*\s*\)\s*$/.exec(query);
  if (labelValues) return labelValues[1];
  if (/^\s*label_values\(\s*[A-Za-z_]\w*\s*\)\s*$/.test(query)) return undefined;
  if (/^\s*label_names\(/.test(query)) return undefined;
  const result = /^\s*query_result\((.+)\)\s*$/.exec(query);
  return result ? result[1] : query;
}

describe('promqlMetricNames', () => {
  it('finds the series and nothing else', () => {
    const cases: [string, string[]][] = [
      [
        'sum by (job, route) (rate(http_request_duration_seconds_count{job=~"$job", status_code=~"5.."}[$__rate_interval]))',
        ['http_request_duration_seconds_count'],
      ],
      [
        'histogram_quantile(0.99, sum by (le) (rate(a_bucket{x="y(z) by"}[5m]))) / on(instance) group_left(job) b offset 1h',
        ['a_bucket', 'b'],
      ],
      [
        'sum(rate(x_total[5m:30s])) by (reason) > bool 0.5 unless ignoring(le) y * 1e3',
        ['x_total', 'y'],
      ],
      ['count_values("le", up) # sum_total', ['up']],
      [
        'nodejs_eventloop_lag_p99_seconds{job=~"$job"} @ start()',
        ['nodejs_eventloop_lag_p99_seconds'],
      ],
      ['sum(rate(foo:bar_total[${__range}]))', ['foo:bar_total']],
      ['vector(1) + time()', []],
    ];
    for (const [expr, names] of cases) expect(promqlMetricNames(expr), expr).toEqual(names);
  });
});

// ---------------------------------------------------------------- Grafana files

interface DatasourceRef {
  type?: string;
  uid?: string;
}
interface Target {
  refId?: string;
  datasource?: DatasourceRef | string | null;
  expr?: string;
  query?: string;
  rawQuery?: boolean;
  hide?: boolean;
}
interface Panel {
  id?: number;
  type: string;
  title?: string;
  datasource?: DatasourceRef | string | null;
  targets?: Target[];
  panels?: Panel[];
  fieldConfig?: { defaults?: { unit?: string } };
}
interface Variable {
  name: string;
  type: string;
  datasource?: DatasourceRef | string | null;
  query?: string | { query?: string };
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating?: { list: Variable[] };
}
interface ProvisionedDatasource {
  name: string;
  uid: string;
  type: string;
  url: string;
  isDefault?: boolean;
  database?: string;
  jsonData?: Record<string, unknown>;
  secureJsonData?: Record<string, string>;
}

const datasources = (
  parse(read(`${GRAFANA}/provisioning/datasources/datasources.yml`)) as {
    apiVersion: number;
    datasources: ProvisionedDatasource[];
  }
).datasources;
const dashboardFiles = readdirSync(path.join(root, DASHBOARDS)).filter((file) =>
  file.endsWith('.json'),
);
const dashboards = dashboardFiles.map((file) => ({
  file,
  dashboard: JSON.parse(read(`${DASHBOARDS}/${file}`)) as Dashboard,
}));
const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<
    string,
    { environment?: Record<string, unknown>; volumes?: string[]; depends_on?: object }
  >;
};

/** Panels at every depth: a collapsed row holds its panels. */
function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);
}

/** Grafana's own datasources, not provisioned: annotations, mixed panels, a dashboard's panels. */
const BUILT_IN = new Set(['-- Grafana --', 'grafana', '-- Mixed --', '-- Dashboard --']);

function datasourceOf(ref: DatasourceRef | string | null | undefined) {
  if (ref === null || ref === undefined) return datasources.find((source) => source.isDefault);
  if (typeof ref === 'string') {
    return datasources.find((source) => source.uid === ref || source.name === ref);
  }
  return datasources.find((source) => source.uid === ref.uid);
}

const isBuiltIn = (ref: DatasourceRef | string | null | undefined) =>
  typeof ref === 'string' ? BUILT_IN.has(ref) : ref?.uid !== undefined && BUILT_IN.has(ref.uid);

/** Every query of every dashboard with what runs it: [where, datasource, query text]. */
function queries() {
  const found: { where: string; type: string; text: string }[] = [];
  for (const { file, dashboard } of dashboards) {
    for (const panel of allPanels(dashboard.panels)) {
      for (const target of panel.targets ?? []) {
        if (target.hide) continue;
        const ref = target.datasource ?? panel.datasource;
        if (isBuiltIn(ref)) continue;
        const source = datasourceOf(ref);
        const where = `${file} › ${panel.title ?? panel.id} › ${target.refId ?? '?'}`;
        if (!source) throw new Error(`${where}: datasource ${JSON.stringify(ref)} not provisioned`);
        found.push({ where, type: source.type, text: target.expr ?? target.query ?? '' });
      }
    }
    for (const variable of dashboard.templating?.list ?? []) {
      if (variable.type !== 'query') continue;
      const source = datasourceOf(variable.datasource);
      const where = `${file} › variable ${variable.name}`;
      if (!source) throw new Error(`${where}: datasource not provisioned`);
      const text = typeof variable.query === 'string' ? variable.query : variable.query?.query;
      const expr = source.type === 'prometheus' ? variableExpression(text ?? '') : text;
      if (expr !== undefined) found.push({ where, type: source.type, text: expr ?? '' });
    }
  }
  return found;
}

describe('deploy/grafana provisioning', () => {
  it('provisions a Prometheus and an InfluxDB datasource at the compose services', () => {
    const services = compose.services;
    const byType = new Map(datasources.map((source) => [source.type, source]));
    expect(new Set(datasources.map((source) => source.uid)).size).toBe(datasources.length);

    const prometheus = byType.get('prometheus')!;
    expect(new URL(prometheus.url).host).toBe('prometheus:9090');
    expect(services.prometheus).toBeDefined();

    const influx = byType.get('influxdb')!;
    const app = services.api!.environment!;
    expect(influx.url).toBe(app.INFLUX_URL);
    expect(influx.jsonData?.version).toBe('InfluxQL');
    expect(influx.jsonData?.dbName).toBe(app.INFLUX_DATABASE);
    // InfluxDB 2's v1 API takes the token as `Authorization: Token …`, from Grafana's environment.
    expect(influx.jsonData?.httpHeaderName1).toBe('Authorization');
    expect(influx.secureJsonData?.httpHeaderValue1).toBe('Token ${INFLUX_TOKEN}');
    expect(services.grafana!.environment!.INFLUX_TOKEN).toBe(app.INFLUX_TOKEN);
  });

  it('loads the dashboards folder the grafana service mounts, and it holds every dashboard', () => {
    const provisioning = parse(read(`${GRAFANA}/provisioning/dashboards/dashboards.yml`)) as {
      apiVersion: number;
      providers: { name: string; type: string; options: { path: string } }[];
    };
    expect(provisioning.apiVersion).toBe(1);
    const mounts = new Map(
      (compose.services.grafana!.volumes ?? []).map((volume) => {
        const [source, target] = volume.split(':');
        return [target!, source!];
      }),
    );
    expect(mounts.get('/etc/grafana/provisioning')).toBe(`./${GRAFANA}/provisioning`);
    expect(provisioning.providers.length).toBeGreaterThan(0);
    for (const provider of provisioning.providers) {
      expect(provider.type).toBe('file');
      const source = mounts.get(provider.options.path);
      expect(source, provider.options.path).toBe(`./${DASHBOARDS}`);
      expect(statSync(path.join(root, source!)).isDirectory()).toBe(true);
    }
    expect(dashboardFiles.sort()).toEqual(['fleet-telemetry.json', 'service-health.json']);
  });

  it('gives every dashboard its own uid and every data panel a provisioned datasource and a unit', () => {
    const uids = dashboards.map(({ dashboard }) => dashboard.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const { file, dashboard } of dashboards) {
      expect(dashboard.title, file).toBeTruthy();
      for (const panel of allPanels(dashboard.panels)) {
        if (panel.type === 'row' || panel.type === 'text') continue;
        const where = `${file} › ${panel.title}`;
        expect(panel.targets?.length, where).toBeGreaterThan(0);
        expect(datasourceOf(panel.datasource), where).toBeDefined();
        expect(panel.fieldConfig?.defaults?.unit, where).toBeTruthy();
      }
    }
    expect(() => queries()).not.toThrow();
  });
});

describe('Prometheus queries', () => {
  let exported: ReadonlySet<string>;
  beforeAll(async () => {
    exported = new Set(await exportedMetricNames());
  });

  it('name at least one series each, and only series the processes export', () => {
    const prometheus = queries().filter(({ type }) => type === 'prometheus');
    expect(prometheus.length).toBeGreaterThan(20);
    const unknown: string[] = [];
    for (const { where, text } of prometheus) {
      const names = promqlMetricNames(text);
      expect(names.length, `${where}: ${text}`).toBeGreaterThan(0);
      for (const name of names) {
        if (PER_TARGET_SERIES.has(name) || familyOf(name, exported)) continue;
        unknown.push(`${where}: ${name}`);
      }
    }
    expect(unknown).toEqual([]);
  });

  it('take quantiles of histogram buckets by le, and rates of counters', () => {
    for (const { where, text } of queries().filter(({ type }) => type === 'prometheus')) {
      for (const name of promqlMetricNames(text)) {
        if (name.endsWith('_bucket')) {
          expect(text, where).toMatch(/histogram_quantile\(/);
          expect(text, where).toMatch(/by \([^)]*\ble\b[^)]*\)/);
        }
        if (/_(?:total|count|sum|bucket)$/.test(name)) {
          // A counter's value is meaningless alone: rate() or increase() over it.
          expect(text, `${where}: ${name}`).toMatch(
            new RegExp(`(?:rate|increase)\\(\\s*${name}\\b`),
          );
        }
      }
    }
  });
});

// ---------------------------------------------------------------- InfluxQL

/** An organization id as the product writes it, for the dashboards' `$org`. */
const SAMPLE_ORG = '3f2b8c1e-5d4a-4e6f-9a7b-1c2d3e4f5a6b';
/** The tags the store writes (influx-layout.ts: ORG_TAG, DEVICE_TAG). */
const TAGS = new Set([ORG_TAG, DEVICE_TAG].map((tag) => /"([^"]+)"/.exec(tag)![1]!));

/** Grafana's variables as they would be substituted: the sample organization for any other. */
function substitute(query: string): string {
  return query
    .replace(/\$timeFilter\b/g, 'time > now() - 1h')
    .replace(/\$__interval\b/g, '1m')
    .replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g, () => SAMPLE_ORG);
}

/** What a FROM clause selects, as a test on measurement names. */
function fromClause(query: string): ((measurement: string) => boolean) | undefined {
  const from = /\bFROM\s+(\/(?:[^/\\]|\\.)*\/|"(?:[^"\\]|\\.)*"|[\w.]+)/i.exec(query)?.[1];
  if (!from) return undefined;
  if (from.startsWith('/')) {
    const regex = new RegExp(from.slice(1, -1));
    return (measurement) => regex.test(measurement);
  }
  const name = from.startsWith('"') ? (JSON.parse(from) as string) : from;
  return (measurement) => measurement === name;
}

/** Tag names the query filters or groups on. */
function tagsUsed(query: string): string[] {
  const typed = [...query.matchAll(/"([^"]+)"::tag/g)].map((m) => m[1]!);
  const withKey = [...query.matchAll(/WITH KEY\s*=\s*"([^"]+)"/gi)].map((m) => m[1]!);
  const groupBy = /\bGROUP BY\s+(.+?)(?:\s+(?:fill|ORDER|LIMIT|SLIMIT|OFFSET|tz)\b|$)/i.exec(query);
  const grouped = (groupBy?.[1] ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '' && !/^time\(/i.test(item))
    .map((item) => item.replace(/::tag$/, '').replace(/^"(.*)"$/, '$1'));
  return [...typed, ...withKey, ...grouped];
}

describe('InfluxDB queries', () => {
  const influx = () => queries().filter(({ type }) => type === 'influxdb');

  it('read the measurements of the organizations’ points, never the rollups', () => {
    expect(influx().length).toBeGreaterThan(3);
    for (const { where, text } of influx()) {
      const query = substitute(text);
      const selects = fromClause(query);
      expect(selects, `${where}: ${text}`).toBeDefined();
      expect(selects!(measurementOf(SAMPLE_ORG)), `${where}: ${text}`).toBe(true);
      expect(selects!(rollupMeasurementOf(SAMPLE_ORG, 60_000)), `${where}: ${text}`).toBe(false);
    }
  });

  it('filter and group by the tags the store writes', () => {
    expect(TAGS).toEqual(new Set(['org_id', 'device_id']));
    for (const { where, text } of influx()) {
      for (const tag of tagsUsed(text)) expect(TAGS, `${where}: ${tag}`).toContain(tag);
    }
  });
});
