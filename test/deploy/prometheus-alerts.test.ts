/**
 * deploy/prometheus/alerts.yml, the alerting rules the compose stack's Prometheus evaluates:
 * promtool (Debian's, beside the prometheus binary test/support/prometheus.ts finds) checks the
 * rules and prometheus.yml that loads them, and runs their unit tests (alerts.test.yml); read as
 * files, every expression names only series the processes export (src/metrics/index.ts) and only
 * labels those series have, every alert says how urgent it is and what to check first and is
 * unit-tested both firing and not, and the rule file is where prometheus.yml and the prometheus
 * service's mounts put it. The promtool part is skipped without promtool unless CI=true.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { exportedMetricNames } from '../../src/metrics/index.js';
import { metricsRegistry } from '../../src/metrics/registry.js';
import {
  PER_TARGET_SERIES,
  familyOf,
  groupingLabels,
  promqlMetricNames,
  selectors,
} from '../support/promql.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const PROMETHEUS = 'deploy/prometheus';
const RULES = `${PROMETHEUS}/alerts.yml`;
const RULE_TESTS = `${PROMETHEUS}/alerts.test.yml`;
const CONFIG = `${PROMETHEUS}/prometheus.yml`;

// ---------------------------------------------------------------- promtool

const DEFAULT_DIRS = ['/usr/bin', '/usr/local/bin'];

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * promtool, which Debian's prometheus package installs beside prometheus: TEST_PROMTOOL_BIN, else
 * beside TEST_PROMETHEUS_BIN, on PATH or in /usr/bin (where test/support/prometheus.ts looks for
 * prometheus). Undefined (the promtool tests skip, with a warning) when there is none and CI is
 * not set; throws under CI=true.
 */
function findPromtool(): string | undefined {
  const explicit = process.env.TEST_PROMTOOL_BIN;
  const prometheus = process.env.TEST_PROMETHEUS_BIN;
  const dirs = [
    ...(prometheus ? [path.dirname(prometheus)] : []),
    ...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean),
    ...DEFAULT_DIRS,
  ];
  const candidates = explicit ? [explicit] : dirs.map((dir) => path.join(dir, 'promtool'));
  const found = candidates.find(executable);
  if (found) return found;
  const where = explicit
    ? `TEST_PROMTOOL_BIN=${explicit} is not executable`
    : 'no promtool beside prometheus, on PATH or in /usr/bin';
  const message = `${where}; run \`bash scripts/services/prometheus.sh install\` (Debian's prometheus package has it)`;
  if (process.env.CI === 'true')
    throw new Error(`promtool is missing: ${message}. CI=true: integration tests must run.`);
  console.warn(`SKIPPING promtool checks of ${PROMETHEUS}: ${message}.`);
  return undefined;
}

const promtool = findPromtool();

/** Runs promtool in the repository's root; its exit code and everything it printed. */
function runPromtool(...args: string[]) {
  const result = spawnSync(promtool!, args, { cwd: root, encoding: 'utf8', timeout: 60_000 });
  const output = `$ promtool ${args.join(' ')}\n${result.stdout ?? ''}${result.stderr ?? ''}${
    result.error ? `\n${result.error.message}` : ''
  }`;
  return { status: result.status, output };
}

describe.skipIf(!promtool)('promtool on deploy/prometheus', () => {
  it('finds the rules valid', () => {
    const { status, output } = runPromtool('check', 'rules', RULES);
    expect(status, output).toBe(0);
    expect(output).toMatch(/SUCCESS: \d+ rules found/);
  });

  // Offline is fine: check config parses and validates, it does not resolve the compose
  // hostnames (api, ingest, the pipeline's DNS name), and it checks every rule file it loads.
  it('finds prometheus.yml valid, with the rules it loads', () => {
    const { status, output } = runPromtool('check', 'config', CONFIG);
    expect(status, output).toBe(0);
    expect(output, output).toContain(`Checking ${RULES}`);
  });

  it('passes the rules’ unit tests', { timeout: 120_000 }, () => {
    const { status, output } = runPromtool('test', 'rules', RULE_TESTS);
    expect(status, output).toBe(0);
    expect(output, output).toContain('SUCCESS');
  });
});

// ---------------------------------------------------------------- the rules, read

interface AlertingRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: { name: string; interval?: string; rules: AlertingRule[] }[];
}
interface RuleTests {
  rule_files: string[];
  evaluation_interval?: string;
  tests: {
    name?: string;
    alert_rule_test?: { alertname: string; eval_time: string; exp_alerts?: unknown[] }[];
  }[];
}

const rules = (parse(read(RULES)) as RuleFile).groups.flatMap((group) => group.rules);
const alerts = rules.filter((rule): rule is AlertingRule & { alert: string } => !!rule.alert);

/** Labels Prometheus gives every series of a target (the scrape's job and address). */
const TARGET_LABELS = ['job', 'instance'];
/** The labels a series can have: its family's, the target's, and `le` on a histogram's buckets. */
function labelsOf(name: string, exported: ReadonlySet<string>): string[] {
  if (PER_TARGET_SERIES.has(name)) return TARGET_LABELS;
  const family = familyOf(name, exported);
  if (!family) return [];
  const metric = metricsRegistry.getSingleMetric(family) as unknown as {
    labelNames?: readonly string[];
  };
  return [
    ...(metric.labelNames ?? []),
    ...TARGET_LABELS,
    ...(name === `${family}_bucket` ? ['le'] : []),
  ];
}

describe('promqlMetricNames, selectors, groupingLabels', () => {
  it('read the series and labels of the expressions alerts.yml uses', () => {
    const expr =
      'sum by (job, stage) (increase(a_total{stage="x{y}"}[10m])) > 0 or sum by (job) (a_total unless a_total offset 10m) / on (job) absent(up{job="api"})';
    expect(promqlMetricNames(expr)).toEqual(['a_total', 'up']);
    expect(selectors(expr)).toEqual([
      { name: 'a_total', labels: ['stage'] },
      { name: 'up', labels: ['job'] },
    ]);
    expect(groupingLabels(expr)).toEqual(['job', 'stage', 'job']);
    expect(
      promqlMetricNames(
        'histogram_quantile(0.99, sum by (job, le) (rate(h_bucket{route!~"/health|/ready"}[5m]))) > 1',
      ),
    ).toEqual(['h_bucket']);
  });
});

describe(`${RULES}`, () => {
  let exported: ReadonlySet<string>;
  beforeAll(async () => {
    exported = new Set(await exportedMetricNames());
  });

  it('holds alerts only, each named once, with a for, a severity and what to check first', () => {
    expect(alerts.length).toBeGreaterThanOrEqual(8);
    expect(alerts.length).toBe(rules.length);
    const names = alerts.map((rule) => rule.alert);
    expect(new Set(names).size).toBe(names.length);
    for (const rule of alerts) {
      const where = rule.alert;
      expect(where).toMatch(/^[A-Z][A-Za-z0-9]+$/);
      expect(rule.for, `${where}: for`).toMatch(/^(?:\d+[hms])+$/);
      expect(['page', 'ticket'], `${where}: severity`).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, `${where}: summary`).toBeTruthy();
      expect(rule.annotations?.description, `${where}: description`).toMatch(/Check first/);
    }
    // Both kinds are used: not everything wakes someone up.
    const severities = new Set(alerts.map((rule) => rule.labels!.severity));
    expect([...severities].sort()).toEqual(['page', 'ticket']);
  });

  it('select only series the processes export (or `up`), at least one each', () => {
    const unknown: string[] = [];
    for (const rule of alerts) {
      const names = promqlMetricNames(rule.expr);
      expect(names.length, `${rule.alert}: ${rule.expr}`).toBeGreaterThan(0);
      for (const name of names) {
        if (!PER_TARGET_SERIES.has(name) && !familyOf(name, exported))
          unknown.push(`${rule.alert}: ${name}`);
      }
    }
    expect(unknown).toEqual([]);
  });

  it('match and group on labels those series have', () => {
    const unknown: string[] = [];
    for (const rule of alerts) {
      const names = promqlMetricNames(rule.expr);
      for (const { name, labels } of selectors(rule.expr)) {
        const known = labelsOf(name, exported);
        for (const label of labels)
          if (!known.includes(label)) unknown.push(`${rule.alert}: ${name}{${label}}`);
      }
      const known = new Set(names.flatMap((name) => labelsOf(name, exported)));
      for (const label of groupingLabels(rule.expr))
        if (!known.has(label)) unknown.push(`${rule.alert}: by (${label})`);
    }
    expect(unknown).toEqual([]);
  });

  it('take rates of counters and quantiles of buckets by le', () => {
    for (const rule of alerts) {
      for (const name of promqlMetricNames(rule.expr)) {
        if (name.endsWith('_bucket')) {
          expect(rule.expr, rule.alert).toMatch(/histogram_quantile\(/);
          expect(rule.expr, rule.alert).toMatch(/by \([^)]*\ble\b[^)]*\)/);
        }
        if (/_(?:total|count|sum|bucket)$/.test(name))
          expect(rule.expr, `${rule.alert}: ${name}`).toMatch(
            new RegExp(`(?:rate|increase)\\(\\s*${name}\\b`),
          );
      }
    }
  });

  it('name in their annotations only series the processes export, or their labels', () => {
    const labelNames = new Set(
      [...exported].flatMap((family) => labelsOf(family, exported)).concat(TARGET_LABELS),
    );
    const unknown: string[] = [];
    for (const rule of alerts) {
      for (const text of Object.values(rule.annotations ?? {})) {
        // Templates ({{ $labels.x }}) and selectors' matchers aside.
        const prose = text.replace(/\{\{[^}]*\}\}/g, ' ').replace(/\{[^}]*\}/g, ' ');
        for (const [word] of prose.matchAll(/\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b/g)) {
          if (PER_TARGET_SERIES.has(word) || familyOf(word, exported) || labelNames.has(word))
            continue;
          unknown.push(`${rule.alert}: ${word}`);
        }
      }
    }
    expect(unknown).toEqual([]);
  });

  it('are each unit-tested in alerts.test.yml, firing and not firing', () => {
    const tests = parse(read(RULE_TESTS)) as RuleTests;
    expect(tests.rule_files).toEqual([path.basename(RULES)]);
    const cases = tests.tests.flatMap((test) => test.alert_rule_test ?? []);
    const untested: string[] = [];
    for (const { alert } of alerts) {
      const ofAlert = cases.filter((test) => test.alertname === alert);
      if (!ofAlert.some((test) => (test.exp_alerts ?? []).length > 0))
        untested.push(`${alert}: firing`);
      if (!ofAlert.some((test) => (test.exp_alerts ?? []).length === 0))
        untested.push(`${alert}: not firing`);
    }
    expect(untested).toEqual([]);
    const names = new Set(alerts.map((rule) => rule.alert));
    for (const test of cases) expect(names, test.alertname).toContain(test.alertname);
  });
});

// ---------------------------------------------------------------- wiring

describe(`${CONFIG} and docker-compose.yml`, () => {
  const config = parse(read(CONFIG)) as { rule_files?: string[] };
  const compose = parse(read('docker-compose.yml'), { merge: true }) as {
    services: Record<string, { volumes?: string[] }>;
  };

  it('load alerts.yml, mounted beside prometheus.yml in the prometheus service', () => {
    const ruleFiles = config.rule_files ?? [];
    expect(ruleFiles).toContain(path.basename(RULES));
    const mounts = (compose.services.prometheus?.volumes ?? []).map((volume) => {
      const [source, target] = String(volume).split(':');
      return { source: source!, target: target! };
    });
    const configMount = mounts.find((mount) => mount.source === `./${CONFIG}`);
    expect(configMount, 'prometheus.yml mounted').toBeDefined();
    const configDir = path.posix.dirname(configMount!.target);
    /** The file of this repository a path in the container is, through a file or folder mount. */
    const hostFileOf = (containerPath: string) => {
      for (const { source, target } of mounts) {
        if (containerPath === target) return source;
        if (containerPath.startsWith(`${target}/`))
          return `${source}${containerPath.slice(target.length)}`;
      }
      return undefined;
    };
    for (const file of ruleFiles) {
      // Relative rule files are read from the config file's folder; absolute ones as they are.
      expect(file, 'a rule file, not a glob').not.toMatch(/[*?[]/);
      const containerPath = path.posix.resolve(configDir, file);
      const source = hostFileOf(containerPath);
      expect(source, `${containerPath} is mounted`).toBeDefined();
      expect(path.normalize(source!), containerPath).toBe(
        path.normalize(`./${PROMETHEUS}/${file}`),
      );
      expect(existsSync(path.join(root, PROMETHEUS, file)), file).toBe(true);
    }
  });
});
