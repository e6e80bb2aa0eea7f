/**
 * deploy/k8s/: the kustomize base and the production overlay, rendered by `kubectl kustomize` and
 * checked offline. Every object must validate against the Kubernetes API schema of its kind
 * (kubernetes-models; a kind this file does not know fails), then what an operator would check:
 * probes on each role's port, the brief's resources, autoscalers and disruption budgets that
 * select what exists, Services that reach a container port, secrets referenced and never
 * rendered, and each role's environment accepted by the config module (src/config/index.ts) in
 * production, as the pod would see it.
 *
 * The schemas check types, required fields and enums; they do not refuse an unknown field, so a
 * misspelt one is caught only where an assertion below reads it.
 *
 * Needs kubectl (with its built-in kustomize): outside CI a machine without it skips this file
 * with a message; with CI=true it fails.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import {
  HorizontalPodAutoscaler,
  type IHorizontalPodAutoscaler,
} from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Job, type IJob } from 'kubernetes-models/batch/v1/Job';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import {
  PodDisruptionBudget,
  type IPodDisruptionBudget,
} from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap, type IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service, type IService } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ConfigError, loadConfig, type ProcessRole } from '../../src/config/index.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BASE = 'deploy/k8s/base';
const PRODUCTION = 'deploy/k8s/overlays/production';

/** The Secret every engine address and credential comes from; created by the operator. */
const SECRET_NAME = 'iot-analytics-secrets';
/** The image name the base uses and the overlay replaces (`images:`). */
const IMAGE_PLACEHOLDER = 'iot-analytics-api';
const NAMESPACE = 'iot-analytics';
const ROLES: readonly ProcessRole[] = ['api', 'ingest', 'pipeline'];
/** Each role's HTTP port (/health, /ready) and metrics port: the config module's defaults. */
const PORTS: Record<ProcessRole, { http: number; metrics: number }> = {
  api: { http: 4000, metrics: 9464 },
  ingest: { http: 4001, metrics: 9465 },
  pipeline: { http: 4002, metrics: 9466 },
};

/** kubectl with kustomize, or why not: skipped outside CI, a failure under CI=true. */
async function findKubectl(): Promise<boolean> {
  try {
    await run('kubectl', ['kustomize', '--help'], { timeout: 30_000 });
    return true;
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not installed' : 'failed';
    const message = `kubectl (with kustomize) is ${reason}: \`kubectl kustomize --help\` (${String(error)})`;
    if (process.env.CI === 'true') throw new Error(`${message}. CI=true: this test must run.`);
    console.warn(`SKIPPING test/deploy/k8s-manifests.test.ts: ${message}.`);
    return false;
  }
}
const kubectl = await findKubectl();

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

async function render(dir: string): Promise<K8sObject[]> {
  const { stdout } = await run('kubectl', ['kustomize', path.join(ROOT, dir)], {
    maxBuffer: 16 * 1024 * 1024,
    timeout: 60_000,
  });
  return parseAllDocuments(stdout).flatMap((doc) => {
    if (doc.errors.length > 0) throw doc.errors[0];
    const object = doc.toJS() as K8sObject | null;
    return object === null ? [] : [object];
  });
}

/** Every kind the manifests may hold, by apiVersion/kind; any other fails the schema test. */
type Model = new (data: never) => { validate(): void };
const MODELS: Record<string, Model> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
};

/** `Kind/name: problem` for each object that is of no known kind or fails its schema. */
function schemaProblems(objects: readonly K8sObject[]): string[] {
  return objects.flatMap((object) => {
    const id = `${object.kind}/${object.metadata?.name}`;
    const model = MODELS[`${object.apiVersion}/${object.kind}`];
    if (!model) return [`${id}: unknown kind ${object.apiVersion} ${object.kind}`];
    try {
      new model(object as never).validate();
      return [];
    } catch (error) {
      return [`${id}: ${error instanceof Error ? error.message : String(error)}`];
    }
  });
}

const ofKind = <T>(objects: readonly K8sObject[], kind: string) =>
  objects.filter((object) => object.kind === kind) as unknown as (T & K8sObject)[];

function named<T>(objects: readonly K8sObject[], kind: string, name: string): T & K8sObject {
  const found = ofKind<T>(objects, kind).find((object) => object.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} rendered`);
  return found;
}

function podSpec(workload: IDeployment | IJob): IPodSpec {
  const spec = workload.spec?.template.spec;
  if (!spec) throw new Error(`${workload.kind} ${workload.metadata?.name} has no pod spec`);
  return spec;
}

function podLabels(workload: IDeployment | IJob): Record<string, string> {
  return workload.spec?.template.metadata?.labels ?? {};
}

/** The role's one container. */
function container(deployment: IDeployment): IContainer {
  const containers = podSpec(deployment).containers;
  expect(containers, `${deployment.metadata?.name}: one container`).toHaveLength(1);
  return containers[0]!;
}

type Selector = NonNullable<IPodDisruptionBudget['spec']>['selector'];
/** A label selector (matchLabels and matchExpressions) against a pod's labels. */
function selects(selector: Selector, labels: Record<string, string>): boolean {
  if (!selector) return false;
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(
    ([key, value]) => labels[key] === value,
  );
  const byExpressions = (selector.matchExpressions ?? []).every(({ key, operator, values }) => {
    switch (operator) {
      case 'In':
        return values?.includes(labels[key] ?? '') ?? false;
      case 'NotIn':
        return !(values?.includes(labels[key] ?? '') ?? false);
      case 'Exists':
        return key in labels;
      case 'DoesNotExist':
        return !(key in labels);
      default:
        throw new Error(`unknown selector operator ${operator}`);
    }
  });
  const empty =
    Object.keys(selector.matchLabels ?? {}).length === 0 &&
    (selector.matchExpressions ?? []).length === 0;
  return !empty && byLabels && byExpressions;
}

/** The container port a probe's or a Service's port names (a name or a number). */
function containerPort(target: string | number | undefined, containers: IContainer[]) {
  const ports = containers.flatMap((c) => c.ports ?? []);
  return typeof target === 'number'
    ? ports.find((port) => port.containerPort === target)
    : ports.find((port) => port.name === target);
}

function httpProbe(probe: IProbe | undefined, what: string, c: IContainer) {
  expect(probe?.httpGet, `${c.name}: ${what} is an HTTP GET`).toBeDefined();
  const port = containerPort(probe!.httpGet!.port, [c]);
  return { path: probe!.httpGet!.path, port: port?.containerPort };
}

/** CPU in cores, memory in bytes: the quantity suffixes these manifests use. */
function quantity(value: string | number | undefined): number {
  if (value === undefined) return Number.NaN;
  const text = String(value);
  const match = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|k|M|G)?$/.exec(text);
  if (!match) throw new Error(`unsupported quantity ${text}`);
  const factor = {
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
  }[match[2] ?? ''];
  return Number(match[1]) * (factor ?? 1);
}

/** A value each secret stands for in the config check: of the shape its setting requires. */
const SECRET_PLACEHOLDERS: Record<string, string> = {
  DATABASE_URL: 'postgresql://iot:secret@postgres.example:5432/iot',
  REDIS_URL: 'rediss://:secret@redis.example:6380',
  KAFKA_BROKERS: 'kafka-0.example:9093,kafka-1.example:9093',
  INFLUX_URL: 'https://influxdb.example:8086',
  JWT_JWKS_URL: 'https://login.example/.well-known/jwks.json',
  NOTIFICATION_SECRETS_KEY: Buffer.alloc(32, 5).toString('base64'),
};
const secretPlaceholder = (key: string) =>
  SECRET_PLACEHOLDERS[key] ?? `placeholder-${key.toLowerCase()}-`.padEnd(48, 'x');

/**
 * The environment a container of `workload` starts with, as the kubelet builds it: the
 * Services' links (unless the pod turns them off), then `envFrom`, then `env`, later ones
 * winning. A secret stands as a placeholder; an optional one is left out (the Secret may lack it).
 */
function containerEnv(
  workload: IDeployment | IJob,
  c: IContainer,
  objects: readonly K8sObject[],
  options: { serviceLinks?: boolean } = {},
): Record<string, string> {
  const configMap = (name: string) => named<IConfigMap>(objects, 'ConfigMap', name).data ?? {};
  const env: Record<string, string> = {};
  if (options.serviceLinks ?? podSpec(workload).enableServiceLinks !== false) {
    for (const service of ofKind<IService>(objects, 'Service')) {
      const name = service.metadata.name.toUpperCase().replaceAll('-', '_');
      const port = service.spec?.ports?.[0]?.port ?? 80;
      env[`${name}_SERVICE_HOST`] = '10.0.0.1';
      env[`${name}_SERVICE_PORT`] = String(port);
      env[`${name}_PORT`] = `tcp://10.0.0.1:${port}`;
    }
  }
  for (const source of c.envFrom ?? []) {
    if (source.configMapRef) Object.assign(env, configMap(source.configMapRef.name!));
    // envFrom secretRef: keys unknown here; the secret-reference test checks its name.
  }
  for (const variable of c.env ?? []) {
    const from = variable.valueFrom;
    if (variable.value !== undefined) env[variable.name] = variable.value;
    else if (from?.secretKeyRef) {
      if (!from.secretKeyRef.optional)
        env[variable.name] = secretPlaceholder(from.secretKeyRef.key);
    } else if (from?.configMapKeyRef) {
      const value = configMap(from.configMapKeyRef.name!)[from.configMapKeyRef.key];
      if (value !== undefined) env[variable.name] = value;
    } else if (from) env[variable.name] = 'from-the-downward-api';
  }
  return env;
}

/** Every Deployment and Job, with the pod spec and containers of each. */
function workloads(objects: readonly K8sObject[]) {
  return [...ofKind<IDeployment>(objects, 'Deployment'), ...ofKind<IJob>(objects, 'Job')].map(
    (workload) => {
      const spec = podSpec(workload);
      return { workload, spec, containers: [...(spec.initContainers ?? []), ...spec.containers] };
    },
  );
}

describe.skipIf(!kubectl).each([
  { overlay: 'the production overlay', dir: PRODUCTION },
  { overlay: 'the base alone', dir: BASE },
])('deploy/k8s: $overlay', ({ dir }) => {
  let objects: K8sObject[];
  beforeAll(async () => {
    objects = await render(dir);
  });

  it('renders objects that each validate against the Kubernetes API schema of their kind', () => {
    expect(objects.length).toBeGreaterThan(0);
    expect(schemaProblems(objects)).toEqual([]);
  });

  it('has a Deployment per role running the role, with the common labels', () => {
    for (const role of ROLES) {
      const deployment = named<IDeployment>(objects, 'Deployment', role);
      expect(container(deployment).args).toEqual([role]);
      expect(podLabels(deployment)).toMatchObject({
        'app.kubernetes.io/name': 'iot-analytics',
        'app.kubernetes.io/part-of': 'iot-analytics',
        'app.kubernetes.io/component': role,
      });
      expect(selects(deployment.spec!.selector, podLabels(deployment))).toBe(true);
    }
    for (const object of objects.filter((o) => o.kind !== 'Namespace')) {
      expect(object.metadata.labels, `${object.kind}/${object.metadata.name}`).toMatchObject({
        'app.kubernetes.io/name': 'iot-analytics',
        'app.kubernetes.io/part-of': 'iot-analytics',
      });
    }
  });

  it("probes /health (liveness, startup) and /ready (readiness) on each role's HTTP port", () => {
    for (const role of ROLES) {
      const c = container(named<IDeployment>(objects, 'Deployment', role));
      const http = PORTS[role].http;
      expect(httpProbe(c.livenessProbe, 'liveness', c)).toEqual({ path: '/health', port: http });
      expect(httpProbe(c.readinessProbe, 'readiness', c)).toEqual({ path: '/ready', port: http });
      if (c.startupProbe) {
        expect(httpProbe(c.startupProbe, 'startup', c)).toEqual({ path: '/health', port: http });
      }
    }
  });

  it('serves /metrics on a named port the Prometheus annotations point at', () => {
    for (const role of ROLES) {
      const deployment = named<IDeployment>(objects, 'Deployment', role);
      const metrics = containerPort('metrics', [container(deployment)]);
      expect(metrics?.containerPort, role).toBe(PORTS[role].metrics);
      expect(deployment.spec!.template.metadata?.annotations).toMatchObject({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(PORTS[role].metrics),
        'prometheus.io/path': '/metrics',
      });
    }
  });

  it('gives every container requests and limits, the api the brief’s, a heap below its limit', () => {
    for (const { workload, containers } of workloads(objects)) {
      for (const c of containers) {
        const { requests, limits } = c.resources ?? {};
        const id = `${workload.metadata?.name}/${c.name}`;
        for (const resource of ['cpu', 'memory']) {
          expect(quantity(requests?.[resource]), `${id} ${resource}`).toBeGreaterThan(0);
          expect(quantity(limits?.[resource]), `${id} ${resource}`).toBeGreaterThanOrEqual(
            quantity(requests?.[resource]),
          );
        }
        const heap = /--max-old-space-size=(\d+)/.exec(
          c.env?.find((v) => v.name === 'NODE_OPTIONS')?.value ?? '',
        );
        if (heap) {
          expect(Number(heap[1]) * 2 ** 20, `${id} heap`).toBeLessThan(
            quantity(limits?.memory) * 0.8,
          );
        }
      }
    }
    expect(container(named<IDeployment>(objects, 'Deployment', 'api')).resources).toEqual({
      requests: { cpu: '200m', memory: '256Mi' },
      limits: { cpu: '500m', memory: '512Mi' },
    });
  });

  it('runs every pod as non-root, read-only, without capabilities, under RuntimeDefault seccomp', () => {
    for (const { workload, spec, containers } of workloads(objects)) {
      const id = workload.metadata?.name;
      expect(spec.securityContext?.runAsNonRoot, `${id}`).toBe(true);
      // A number: with the image's user name (`node`) the kubelet cannot check runAsNonRoot.
      expect(spec.securityContext?.runAsUser, `${id}`).toBe(1000);
      expect(spec.securityContext?.seccompProfile?.type, `${id}`).toBe('RuntimeDefault');
      expect(spec.automountServiceAccountToken, `${id}`).toBe(false);
      for (const c of containers) {
        expect(c.securityContext, `${id}/${c.name}`).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(c.securityContext?.privileged ?? false).toBe(false);
      }
    }
  });

  it('gives each role more time to stop than its shutdown deadline and preStop pause', () => {
    for (const role of ROLES) {
      const deployment = named<IDeployment>(objects, 'Deployment', role);
      const c = container(deployment);
      const config = loadConfig(containerEnv(deployment, c, objects), role);
      // src/main.ts: the drain deadline, then exit at SHUTDOWN_TIMEOUT_MS + 5 s at the latest.
      const stopSeconds = config.shutdownTimeoutMs / 1000 + 5;
      const pause = c.lifecycle?.preStop?.sleep?.seconds ?? 0;
      expect(podSpec(deployment).terminationGracePeriodSeconds, role).toBeGreaterThan(
        pause + stopSeconds,
      );
    }
  });

  it('scales api and ingest at 70 % CPU, each autoscaler on an existing Deployment it alone sizes', () => {
    const autoscalers = ofKind<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler');
    for (const hpa of autoscalers) {
      const target = hpa.spec!.scaleTargetRef;
      expect(target.apiVersion).toBe('apps/v1');
      expect(target.kind).toBe('Deployment');
      const deployment = named<IDeployment>(objects, 'Deployment', target.name);
      // A replicas field would reset the autoscaler's count on every `kubectl apply`.
      expect(deployment.spec?.replicas, `${target.name} replicas`).toBeUndefined();
      expect(hpa.spec!.minReplicas ?? 1).toBeLessThanOrEqual(hpa.spec!.maxReplicas);
    }
    for (const role of ['api', 'ingest']) {
      const hpa = autoscalers.find((a) => a.spec?.scaleTargetRef.name === role);
      expect(hpa, `an autoscaler for ${role}`).toBeDefined();
      expect(hpa!.spec!.metrics).toContainEqual({
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
      });
    }
  });

  it("bounds the pipeline's replicas by the Kafka partitions", () => {
    const pipeline = named<IDeployment>(objects, 'Deployment', 'pipeline');
    const env = containerEnv(pipeline, container(pipeline), objects);
    const partitions = Number(env.KAFKA_PARTITIONS ?? 6);
    expect(partitions).toBeGreaterThan(0);
    const hpa = ofKind<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler').find(
      (a) => a.spec?.scaleTargetRef.name === 'pipeline',
    );
    if (hpa) expect(hpa.spec!.maxReplicas).toBeLessThanOrEqual(partitions);
    else expect(pipeline.spec?.replicas ?? 1).toBeLessThanOrEqual(partitions);
  });

  it("has a disruption budget per role that selects that role's pods and no other's", () => {
    const budgets = ofKind<IPodDisruptionBudget>(objects, 'PodDisruptionBudget');
    for (const role of ROLES) {
      const selecting = budgets.filter((pdb) =>
        selects(pdb.spec?.selector, podLabels(named<IDeployment>(objects, 'Deployment', role))),
      );
      expect(
        selecting.map((pdb) => pdb.metadata.name),
        role,
      ).toHaveLength(1);
    }
    for (const pdb of budgets) {
      const selected = workloads(objects).filter(({ workload }) =>
        selects(pdb.spec?.selector, podLabels(workload)),
      );
      expect(
        selected.map(({ workload }) => workload.metadata?.name),
        pdb.metadata.name,
      ).toHaveLength(1);
    }
  });

  it("routes each Service to one Deployment's pods, every targetPort a container port", () => {
    const services = ofKind<IService>(objects, 'Service');
    for (const service of services) {
      const selected = ofKind<IDeployment>(objects, 'Deployment').filter((d) =>
        selects({ matchLabels: service.spec?.selector }, podLabels(d)),
      );
      expect(
        selected.map((d) => d.metadata.name),
        `Service ${service.metadata.name}`,
      ).toHaveLength(1);
      for (const port of service.spec?.ports ?? []) {
        const target = containerPort(
          port.targetPort ?? port.port,
          podSpec(selected[0]!).containers,
        );
        expect(target, `Service ${service.metadata.name} port ${port.name}`).toBeDefined();
        expect(target!.protocol ?? 'TCP').toBe(port.protocol ?? 'TCP');
      }
    }
    const ports = (name: string) =>
      named<IService>(objects, 'Service', name).spec?.ports?.map((p) => [p.name, p.port]);
    expect(ports('api')).toEqual([['http', 4000]]);
    expect(ports('ingest')).toEqual([
      ['http', 4001],
      ['mqtt', 1883],
    ]);
    expect(services.map((s) => s.metadata.name)).not.toContain('pipeline');
  });

  it('spreads replicas with selectors that match their own pods', () => {
    for (const { workload, spec } of workloads(objects)) {
      for (const constraint of spec.topologySpreadConstraints ?? []) {
        expect(
          selects(constraint.labelSelector, podLabels(workload)),
          `${workload.metadata?.name} ${constraint.topologyKey}`,
        ).toBe(true);
      }
    }
  });

  it(`takes settings from secrets only in ${SECRET_NAME}; no Secret with data is rendered`, () => {
    const inEnv = new Set<string>();
    const inVolumes = new Set<string>();
    for (const { spec, containers } of workloads(objects)) {
      for (const c of containers) {
        for (const source of c.envFrom ?? []) {
          if (source.secretRef) inEnv.add(source.secretRef.name!);
        }
        for (const variable of c.env ?? []) {
          const ref = variable.valueFrom?.secretKeyRef;
          if (ref) inEnv.add(ref.name!);
        }
      }
      // A certificate (MQTTS) may come from a TLS Secret of its own, mounted.
      for (const volume of spec.volumes ?? []) {
        if (volume.secret) inVolumes.add(volume.secret.secretName!);
      }
    }
    expect([...inEnv]).toEqual([SECRET_NAME]);
    const secrets = objects.filter((o) => o.kind === 'Secret');
    expect(secrets.filter((s) => s.data !== undefined || s.stringData !== undefined)).toEqual([]);
    for (const name of [...inEnv, ...inVolumes]) {
      expect(secrets.map((s) => s.metadata.name)).not.toContain(name);
    }
  });

  it('references ConfigMaps that are rendered', () => {
    const rendered = ofKind<IConfigMap>(objects, 'ConfigMap').map((m) => m.metadata.name);
    for (const { containers } of workloads(objects)) {
      for (const c of containers) {
        for (const source of c.envFrom ?? []) {
          if (source.configMapRef) expect(rendered).toContain(source.configMapRef.name);
        }
        for (const variable of c.env ?? []) {
          const ref = variable.valueFrom?.configMapKeyRef;
          if (ref) expect(rendered).toContain(ref.name);
        }
      }
    }
  });

  it("starts each role: the config module accepts the pod's environment in production", () => {
    for (const role of ROLES) {
      const deployment = named<IDeployment>(objects, 'Deployment', role);
      const env = containerEnv(deployment, container(deployment), objects);
      let config;
      try {
        config = loadConfig(env, role);
      } catch (error) {
        if (error instanceof ConfigError) throw new Error(`${role}: ${error.message}`);
        throw error;
      }
      expect(config.mode, role).toBe('production');
      expect(config.host, role).toBe('0.0.0.0');
      expect(config.ports[role], role).toBe(PORTS[role].http);
      expect(config.metrics.ports[role], role).toBe(PORTS[role].metrics);
    }
    const ingest = named<IDeployment>(objects, 'Deployment', 'ingest');
    const config = loadConfig(containerEnv(ingest, container(ingest), objects), 'ingest');
    expect(containerPort('mqtt', [container(ingest)])?.containerPort).toBe(config.mqtt.port);
  });

  it('fails that check when a required secret is missing, or Service links are on', () => {
    const api = named<IDeployment>(objects, 'Deployment', 'api');
    const { DATABASE_URL: _dropped, ...withoutDatabase } = containerEnv(
      api,
      container(api),
      objects,
    );
    expect(() => loadConfig(withoutDatabase, 'api')).toThrow(/DATABASE_URL/);
    // Why every pod sets enableServiceLinks: false. The Service `ingest` would put
    // INGEST_PORT=tcp://…, not a port, into the api's environment.
    const linked = containerEnv(api, container(api), objects, { serviceLinks: true });
    expect(() => loadConfig(linked, 'api')).toThrow(/INGEST_PORT/);
  });

  it('migrates with a Job that runs `migrate` on DATABASE_URL alone, retried and cleaned up', () => {
    const jobs = ofKind<IJob>(objects, 'Job');
    expect(jobs).toHaveLength(1);
    const job = jobs[0]!;
    const c = podSpec(job).containers[0]!;
    expect(c.args).toEqual(['migrate']);
    expect(job.spec?.backoffLimit).toBeGreaterThan(0);
    expect(job.spec?.ttlSecondsAfterFinished).toBeGreaterThan(0);
    expect(podSpec(job).restartPolicy).toMatch(/^(Never|OnFailure)$/);
    const secrets = (c.env ?? []).filter((v) => v.valueFrom?.secretKeyRef).map((v) => v.name);
    expect(secrets).toEqual(['DATABASE_URL']);
    const config = loadConfig(containerEnv(job, c, objects), 'migrate');
    expect(config.mode).toBe('production');
    // README.md applies it alone first (`-l app.kubernetes.io/component=migrate`): that selects
    // the Job only, and the Job needs nothing else the render creates.
    const selected = objects.filter(
      (o) => o.metadata.labels?.['app.kubernetes.io/component'] === 'migrate',
    );
    expect(selected.map((o) => o.kind)).toEqual(['Job']);
    expect(podSpec(job).serviceAccountName ?? 'default').toBe('default');
    expect(c.envFrom ?? []).toEqual([]);
    expect((c.env ?? []).filter((v) => v.valueFrom?.configMapKeyRef)).toEqual([]);
  });

  it('runs everything from one image', () => {
    const images = new Set(
      workloads(objects).flatMap(({ containers }) => containers.map((c) => c.image)),
    );
    expect(images.size).toBe(1);
  });
});

describe.skipIf(!kubectl)('deploy/k8s: production specifics', () => {
  let objects: K8sObject[];
  beforeAll(async () => {
    objects = await render(PRODUCTION);
  });

  it('runs at least the brief’s 3 api replicas, scaled at 70 % CPU', () => {
    const hpa = named<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler', 'api');
    expect(hpa.spec?.minReplicas).toBe(3);
    expect(hpa.spec?.maxReplicas).toBeGreaterThan(3);
    // A node drain takes one api pod at a time.
    const pdb = named<IPodDisruptionBudget>(objects, 'PodDisruptionBudget', 'api');
    expect(pdb.spec?.maxUnavailable).toBe(1);
  });

  it('puts every namespaced object in its namespace, which is rendered', () => {
    expect(named(objects, 'Namespace', NAMESPACE)).toBeDefined();
    for (const object of objects.filter((o) => o.kind !== 'Namespace')) {
      expect(object.metadata.namespace, `${object.kind}/${object.metadata.name}`).toBe(NAMESPACE);
    }
  });

  it('sets a released image in place of the placeholder', () => {
    const [image] = workloads(objects).flatMap(({ containers }) => containers.map((c) => c.image));
    expect(image).toBeDefined();
    expect(image).not.toBe(IMAGE_PLACEHOLDER);
    expect(image).toMatch(/^[^:@]+\/iot-analytics-api(:(?!latest$)[\w.-]+|@sha256:[0-9a-f]{64})$/);
  });

  it('exposes ingest (HTTP and MQTT) through a load balancer, the api inside the cluster', () => {
    expect(named<IService>(objects, 'Service', 'ingest').spec?.type).toBe('LoadBalancer');
    expect(named<IService>(objects, 'Service', 'api').spec?.type ?? 'ClusterIP').toBe('ClusterIP');
  });
});

describe.skipIf(!kubectl)('deploy/k8s: the base alone', () => {
  it('leaves the namespace and the image to an overlay', async () => {
    const objects = await render(BASE);
    expect(objects.filter((o) => o.metadata.namespace !== undefined)).toEqual([]);
    for (const { containers } of workloads(objects)) {
      expect(containers.map((c) => c.image)).toEqual(containers.map(() => IMAGE_PLACEHOLDER));
    }
  });
});
