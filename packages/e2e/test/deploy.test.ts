/**
 * The deployment files, checked without a Docker engine or a cluster: the
 * compose file, the Dockerfile, the Kubernetes manifests (rendered by `kubectl
 * kustomize` where kubectl is installed) and router.yaml must agree with the
 * code — every variable they set is one the process reads, and what each process
 * requires is set and valid. CI builds and runs the same `dist/` entries.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import {
  checkEnv,
  GATEWAY_PROCESS_ENV,
  subgraphProcessEnv,
  DEFAULT_AMQP_URL,
  loadAuthConfig,
  loadEscalationPolicy,
  loadEventsConfig,
  loadGatewayConfig,
  loadLiveLimits,
  loadPushConfig,
  loadServiceIdentity,
  loadSubgraphConfig,
  loadSystemConfig,
  loadTokenConfig,
  readSubgraphUrl,
  SUBGRAPHS,
  SYSTEM_PROCESS_ENV,
} from '@asky/shared';
import { REPO_ROOT } from '@asky/launcher';
import { hasKubectl, renderKustomization, type Manifest } from './helpers/kustomize';

const read = (file: string) => readFileSync(path.join(REPO_ROOT, file), 'utf8');
const SERVICES = ['auth', 'pyxis', 'request', 'gateway'] as const;
type Service = (typeof SERVICES)[number];
/** What a container runs: a service of the split topology, or a replica (all of them in one process, packages/launcher). */
type Process = Service | 'replica';
const envShapeOf = (process: Process) =>
  process === 'replica'
    ? SYSTEM_PROCESS_ENV
    : process === 'gateway'
      ? GATEWAY_PROCESS_ENV
      : subgraphProcessEnv(process);

/** Read by the process shell (runMain) and the image's HEALTHCHECK, whatever the service. */
const SHELL_VARIABLES = ['SHUTDOWN_TIMEOUT_MS', 'HEALTH_PORT'];

/**
 * What a service's main reads of `values`, by running the loaders it calls on
 * an environment that records every name asked; the error when the values
 * cannot start it.
 */
function configOf(
  service: Process,
  values: Record<string, string>,
): { read: Set<string>; error?: string; port?: number } {
  const asked = new Set<string>(SHELL_VARIABLES);
  const env = new Proxy(values, {
    get: (target, name) => (typeof name === 'string' && asked.add(name), target[name as string]),
  });
  try {
    checkEnv(envShapeOf(service), env);
    let port: number;
    if (service === 'replica') {
      const system = loadSystemConfig(env);
      if (!system.roleDatabaseUrls)
        throw new Error('a replica runs over a migrated database: AUTH_/PYXIS_/REQUEST_DATABASE_URL');
      port = system.ports.gateway;
      loadAuthConfig(env);
      loadEventsConfig(env);
      loadLiveLimits(env);
      loadEscalationPolicy(env);
      loadPushConfig(env);
    } else if (service === 'gateway') {
      port = loadGatewayConfig(env).port;
      loadEventsConfig(env, DEFAULT_AMQP_URL);
    } else {
      port = loadSubgraphConfig(service, env).port;
      if (service === 'auth') loadAuthConfig(env);
      else {
        loadServiceIdentity(service, env);
        loadEventsConfig(env, DEFAULT_AMQP_URL);
      }
      if (service === 'request') readSubgraphUrl('pyxis', env);
      if (service === 'pyxis') readSubgraphUrl('request', env);
    }
    loadTokenConfig(env);
    return { read: asked, port };
  } catch (err) {
    return { read: asked, error: (err as Error).message };
  }
}

/** `${NAME:-default}` as compose interpolates it, with nothing set in the shell. */
const interpolate = (value: string) =>
  value.replace(/\$\{\w+(?::?-([^}]*))?\}/g, (_m, fallback: string | undefined) => fallback ?? '');

/** The `dist/` entry a command runs must come from a source file the build compiles. */
const sourceOf = (entry: string) => entry.replace('/dist/src/', '/src/').replace(/\.js$/, '.ts');

describe('docker-compose.yaml', () => {
  const compose = parse(read('docker-compose.yaml'), { merge: true });
  const services = compose.services as Record<string, any>;

  it('runs postgres (with init-db), rabbitmq, a replica, and the four services of the split profile, each health-checked before its dependants start', () => {
    expect(Object.keys(services).sort()).toEqual([
      'asky',
      'auth',
      'gateway',
      'postgres',
      'pyxis',
      'rabbitmq',
      'request',
    ]);
    expect(
      Object.entries(services)
        .filter(([, s]) => !s.profiles)
        .map(([name]) => name)
        .sort(),
    ).toEqual(['asky', 'postgres', 'rabbitmq']); // `docker compose up`
    for (const name of SERVICES) expect(services[name].profiles).toEqual(['split']);
    expect(services.postgres.image).toMatch(/^postgres:/);
    expect(services.postgres.volumes).toContain('./init-db:/docker-entrypoint-initdb.d:ro');
    expect(services.rabbitmq.image).toMatch(/^rabbitmq:.*management/);
    for (const [name, service] of Object.entries(services)) {
      expect(service.healthcheck ?? name).toBeDefined();
      for (const [dependency, condition] of Object.entries(service.depends_on ?? {})) {
        expect(services[dependency]).toBeDefined();
        expect(condition).toEqual({ condition: 'service_healthy' });
      }
    }
    for (const volume of Object.values(services).flatMap((s: any) => s.volumes ?? [])) {
      const source = String(volume).split(':')[0]!;
      if (!source.startsWith('.'))
        expect(Object.keys(compose.volumes)).toContain(source); // named volumes are declared
      else expect(existsSync(path.join(REPO_ROOT, source))).toBe(true);
    }
  });

  it('publishes ports on 127.0.0.1 only, unless ASKY_BIND says otherwise', () => {
    const published = Object.values(services).flatMap((s: any) => (s.ports ?? []) as string[]);
    expect(published.length).toBeGreaterThan(0);
    for (const port of published) expect(interpolate(port)).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    for (const port of published) expect(port).toMatch(/^\$\{ASKY_BIND:-127\.0\.0\.1\}:/);
  });

  const COMPOSE_PROCESSES = Object.entries({
    asky: 'replica',
    auth: 'auth',
    pyxis: 'pyxis',
    request: 'request',
    gateway: 'gateway',
  } satisfies Record<string, Process>);

  it.each(COMPOSE_PROCESSES)(
    "declares every variable %s reads in its process's environment schema",
    (name, process) => {
      const declared = new Set([...Object.keys(envShapeOf(process)), ...SHELL_VARIABLES]);
      const { read } = configOf(process, services[name].environment as Record<string, string>);
      expect([...read].filter((variable) => !declared.has(variable))).toEqual([]);
    },
  );

  it.each(COMPOSE_PROCESSES)(
    'gives %s a build, an entry that exists, and only variables it reads — enough to start',
    (name, process) => {
      const service = services[name];
      expect(service.build).toBe('.');
      expect(existsSync(path.join(REPO_ROOT, sourceOf(service.command[1])))).toBe(true);
      const environment = Object.fromEntries(
        Object.entries(service.environment as Record<string, string>).map(([k, v]) => [k, interpolate(String(v))]),
      );
      const { read: reads, error, port } = configOf(process, environment);
      expect(error).toBeUndefined();
      expect(Object.keys(environment).filter((variable) => !reads.has(variable))).toEqual([]); // no variable the code ignores
      expect(environment.HEALTH_PORT).toBe(String(port)); // the image's healthcheck probes the service's own port
      // Every URL names a compose service on the port that service listens on.
      for (const value of Object.values(environment)) {
        const url = /^(?:https?|amqp|postgresql):\/\/(?:[^@/]*@)?([a-z]+):(\d+)/.exec(value);
        if (!url) continue;
        const [, host, urlPort] = url;
        expect(services[host!]).toBeDefined();
        if (services[host!].environment?.HEALTH_PORT) expect(services[host!].environment.HEALTH_PORT).toBe(urlPort);
      }
    },
  );
});

describe('Dockerfile', () => {
  const lines = read('Dockerfile')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim() && !line.trim().startsWith('#'));
  const stages = lines.map((l, i) => [l, i] as const).filter(([l]) => l.startsWith('FROM '));
  const final = lines.slice(stages.at(-1)![1]);

  it('builds in one stage and runs production dependencies only, as a non-root user, with a healthcheck', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(lines.join('\n')).toMatch(/npm ci .*&& npm run build\s+&& npm prune --omit=dev/);
    expect(final).toContain('ENV NODE_ENV=production');
    expect(final.find((l) => l.startsWith('USER '))).toBe('USER node');
    expect(final.some((l) => l.startsWith('HEALTHCHECK ') && l.includes('/health'))).toBe(true);
    expect(final.find((l) => l.startsWith('STOPSIGNAL '))).toBe('STOPSIGNAL SIGTERM');
  });

  it('copies everything the build needs, and runs a replica (the whole system in one process) by default', () => {
    const copied = lines
      .filter((l) => l.startsWith('COPY ') && !l.includes('--from'))
      .flatMap((l) => l.split(/\s+/).slice(1, -1));
    for (const source of copied) expect(existsSync(path.join(REPO_ROOT, source))).toBe(true);
    const references = (JSON.parse(read('tsconfig.json')).references as { path: string }[]).map((r) => r.path);
    for (const reference of references) expect(copied.some((source) => reference.startsWith(source))).toBe(true);
    const cmd = JSON.parse(final.find((l) => l.startsWith('CMD '))!.slice(4)) as string[];
    expect(existsSync(path.join(REPO_ROOT, sourceOf(cmd[1]!)))).toBe(true);
    expect(cmd).toEqual(['node', 'packages/launcher/dist/src/replica.js']);
  });
});

/** The two ways to deploy on Kubernetes, and the Deployments (with the process each runs) of each. */
const TOPOLOGIES: { dir: string; deployments: Record<string, Process> }[] = [
  { dir: 'k8s', deployments: { asky: 'replica' } },
  { dir: 'k8s/split', deployments: { auth: 'auth', pyxis: 'pyxis', request: 'request', gateway: 'gateway' } },
];

describe.each(TOPOLOGIES)('$dir (kustomize)', ({ dir, deployments }) => {
  const docs = renderKustomization(path.join(REPO_ROOT, dir));
  const byKind = (kind: string) => docs.filter((d) => d.kind === kind);
  const deployment = (name: string) => byKind('Deployment').find((d) => d.metadata.name === name);
  const secret = byKind('Secret').find((s) => s.metadata.name === 'asky-secrets');

  it('renders with kubectl kustomize (reads the files, with the same checks, without kubectl)', () => {
    if (!hasKubectl) console.warn('kubectl not installed: manifests checked unrendered');
    expect(docs.every((d) => d.apiVersion && d.kind && d.metadata?.name)).toBe(true);
    expect(
      byKind('Deployment')
        .map((d) => d.metadata.name)
        .sort(),
    ).toEqual(Object.keys(deployments).sort());
  });

  it.each(Object.entries(deployments))(
    'deploys %s with probes on /ready and /health, resources, an autoscaler, a service, and a config it can start with',
    (name, process) => {
      const pod = deployment(name).spec.template;
      const container = pod.spec.containers[0];
      expect(container.readinessProbe.httpGet).toMatchObject({ path: '/ready', port: 'http' });
      expect(container.livenessProbe.httpGet).toMatchObject({ path: '/health', port: 'http' });
      expect(container.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
      expect(container.resources.limits.memory).toEqual(expect.any(String));
      expect(pod.spec.securityContext.runAsNonRoot).toBe(true);
      expect(existsSync(path.join(REPO_ROOT, sourceOf(container.command[1])))).toBe(true);
      const hpa = byKind('HorizontalPodAutoscaler').find((h) => h.spec.scaleTargetRef.name === name);
      expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
      expect(
        byKind('PodDisruptionBudget').find((b) => b.spec.selector.matchLabels['app.kubernetes.io/name'] === name),
      ).toBeDefined();
      const service = byKind('Service').find((s) => s.metadata.name === name);
      expect(service.spec.selector).toEqual(pod.metadata.labels);
      const portNumber = container.ports.find((p: Manifest) => p.name === 'http').containerPort;

      // The environment the pod gets: its ConfigMap, then its own values and secret keys (which must exist).
      const [configMapName] = container.envFrom.map((source: Manifest) => source.configMapRef.name);
      const environment: Record<string, string> = {
        ...byKind('ConfigMap').find((c) => c.metadata.name === configMapName).data,
      };
      for (const variable of container.env) {
        if (variable.valueFrom) {
          expect(variable.valueFrom.secretKeyRef.name).toBe('asky-secrets');
          expect(Object.keys(secret.stringData)).toContain(variable.valueFrom.secretKeyRef.key);
          // As an operator fills it in: the placeholders would (rightly) be refused in production.
          environment[variable.name] = secret.stringData[variable.valueFrom.secretKeyRef.key].replace(
            /change-me/g,
            'a-real-secret-value',
          );
        } else environment[variable.name] = variable.value;
      }
      const { read: reads, error, port } = configOf(process, environment);
      expect(error).toBeUndefined();
      const placeholders = Object.fromEntries(
        Object.entries(environment).map(([k, v]) => [k, String(v).replace(/a-real-secret-value/g, 'change-me')]),
      );
      expect(configOf(process, placeholders).error).toMatch(/development placeholder/);
      expect(port).toBe(portNumber);
      const own = container.env.map((v: Manifest) => v.name) as string[];
      expect(own.filter((variable) => !reads.has(variable))).toEqual([]);
      // In-cluster URLs name a Service on its port.
      for (const url of [environment.AUTH_URL, environment.PYXIS_URL, environment.REQUEST_URL].filter(Boolean)) {
        const { hostname, port: urlPort } = new URL(url!);
        expect(byKind('Service').find((s) => s.metadata.name === hostname)?.spec.ports[0].port).toBe(Number(urlPort));
      }
    },
  );

  it('migrates before any pod that reads or writes the database serves: an init container with the admin URL and every role URL, only there', () => {
    expect(byKind('Job')).toEqual([]); // a fixed-name Job fails `kubectl apply` of a new image within its TTL
    const databasePods = Object.entries(deployments).filter(([, process]) => process !== 'gateway');
    expect(databasePods.length).toBeGreaterThan(0);
    for (const [name] of databasePods) {
      const pod = deployment(name).spec.template.spec;
      expect(pod.initContainers.map((c: Manifest) => c.name)).toEqual(['migrate']);
      const [migrate] = pod.initContainers;
      expect(migrate.command).toEqual(['node', 'packages/launcher/dist/src/migrate.js']);
      expect(existsSync(path.join(REPO_ROOT, sourceOf(migrate.command[1])))).toBe(true);
      expect(migrate.env.map((v: Manifest) => v.name).sort()).toEqual(
        ['DATABASE_URL', ...SUBGRAPHS.map((s) => `${s.toUpperCase()}_DATABASE_URL`)].sort(),
      );
      expect(pod.containers[0].env.map((v: Manifest) => v.name)).not.toContain('DATABASE_URL'); // the serving container never holds the admin URL
    }
  });

  it('leaves the replica count to the autoscalers', () => {
    for (const hpa of byKind('HorizontalPodAutoscaler'))
      expect(deployment(hpa.spec.scaleTargetRef.name).spec.replicas).toBeUndefined(); // each apply would reset what the HPA scaled to
  });

  if (Object.values(deployments).includes('gateway')) {
    it('mounts the supergraph ConfigMap where the gateway reads it, current with the composition', () => {
      const gateway = deployment('gateway').spec.template.spec;
      const file = gateway.containers[0].env.find((v: Manifest) => v.name === 'SUPERGRAPH_PATH').value as string;
      const mount = gateway.containers[0].volumeMounts.find((m: Manifest) => file.startsWith(`${m.mountPath}/`));
      const volume = gateway.volumes.find((v: Manifest) => v.name === mount.name);
      const configMap = byKind('ConfigMap').find((c) => c.metadata.name === volume.configMap.name);
      expect(configMap.data[path.basename(file)]).toBe(read('supergraph/supergraph.graphql'));
    });
  }
});

describe('router.yaml (Apollo Router)', () => {
  const router = parse(read('router.yaml'));
  const compose = parse(read('docker-compose.yaml'), { merge: true }).services as Record<string, any>;

  it('routes to every subgraph of the supergraph, where compose runs it', () => {
    const graphs = [
      ...read('supergraph/supergraph.graphql').matchAll(/^\s+([A-Z]+) @join__graph\(name: "(\w+)"/gm),
    ].map((m) => m[2]);
    expect(Object.keys(router.override_subgraph_url).sort()).toEqual(graphs.sort());
    for (const [name, url] of Object.entries(router.override_subgraph_url as Record<string, string>)) {
      const { hostname, port } = new URL(url);
      expect(hostname).toBe(name);
      expect(compose[name].environment.HEALTH_PORT).toBe(port);
    }
  });

  // What needs a GraphOS Enterprise licence (the Router refuses to start with it unlicensed).
  const ENTERPRISE = [
    'authentication.router.jwt',
    'subscription',
    'limits.max_depth',
    'limits.max_height',
    'limits.max_aliases',
    'limits.max_root_fields',
    'authorization',
    'coprocessor',
    'persisted_queries',
    'demand_control',
    'preview_entity_cache',
    'traffic_shaping.router.global_rate_limit',
  ];
  const at = (keyPath: string) => keyPath.split('.').reduce<any>((node, key) => node?.[key], router);

  it('is written for one pinned Router version, the one README names', () => {
    const version = /^# router-version: (v\d+\.\d+\.\d+)$/m.exec(read('router.yaml'))?.[1];
    expect(version).toBeDefined();
    expect(read('router.yaml')).toContain(`ghcr.io/apollographql/router:${version}`);
    expect(read('README.md')).toContain(`Router ${version}`);
  });

  it('starts without a licence: no Enterprise-only feature', () => {
    expect(ENTERPRISE.filter((keyPath) => at(keyPath) !== undefined)).toEqual([]);
    expect(router.limits).toMatchObject({
      parser_max_tokens: expect.any(Number),
      http_max_request_bytes: expect.any(Number),
    });
  });

  it("passes the subgraphs' errors through with their codes, and the token and request id to them", () => {
    expect(router.include_subgraph_errors.all).toBe(true); // false: "Subgraph errors redacted", no extensions.code
    expect(router.include_subgraph_errors.subgraphs).toBeUndefined();
    expect(router.headers.all.request).toEqual(
      expect.arrayContaining([{ propagate: { named: 'authorization' } }, { propagate: { named: 'x-request-id' } }]),
    );
    expect(router.telemetry.exporters.metrics.prometheus.enabled).toBe(true);
    expect(router.cors.allow_any_origin).toBeUndefined();
    expect(router.cors.policies.flatMap((p: any) => p.origins)).not.toContain('*');
  });
});

describe('broker users', () => {
  const users = (JSON.parse(read('rabbitmq/definitions.json')) as { users: { name: string }[] }).users.map(
    (u) => u.name,
  );

  it('are one per service in compose (the replica: one for all three), each defined in rabbitmq/definitions.json, and guest:guest is nowhere', () => {
    const compose = parse(read('docker-compose.yaml'), { merge: true }) as {
      services: Record<string, { environment?: Record<string, string> }>;
    };
    const userOf = (service: string) => new URL(compose.services[service]!.environment!.AMQP_URL!).username;
    const brokerClients = ['asky', 'pyxis', 'request', 'gateway'];
    expect(brokerClients.map(userOf)).toEqual(['asky', 'asky_pyxis', 'asky_request', 'asky_gateway']);
    for (const service of brokerClients) expect(users).toContain(userOf(service));
    for (const file of [
      'docker-compose.yaml',
      'k8s/base/secret.yaml',
      'k8s/asky.yaml',
      'k8s/split/gateway.yaml',
      'k8s/split/pyxis.yaml',
      'k8s/split/request.yaml',
    ])
      expect(read(file)).not.toMatch(/guest:/);
  });
});

describe("compose's Postgres access rules (init-db/99-pg-hba.sh)", () => {
  it('let service roles reach the asky database only, ahead of every other rule', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'asky-hba-'));
    try {
      writeFileSync(path.join(dir, 'pg_hba.conf'), 'local all all trust\nhost all all all scram-sha-256\n');
      execFileSync('sh', [path.join(REPO_ROOT, 'init-db/99-pg-hba.sh')], {
        env: { ...process.env, PGDATA: dir, POSTGRES_DB: 'asky' },
      });
      const lines = readFileSync(path.join(dir, 'pg_hba.conf'), 'utf8').trim().split('\n');
      expect(lines.slice(0, 3)).toEqual([
        'host asky asky_auth,asky_pyxis,asky_request all scram-sha-256',
        'host all asky_auth,asky_pyxis,asky_request all reject',
        'local all asky_auth,asky_pyxis,asky_request reject',
      ]);
      expect(lines.slice(3)).toEqual(['local all all trust', 'host all all all scram-sha-256']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
