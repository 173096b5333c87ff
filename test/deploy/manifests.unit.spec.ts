import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { CONFIG_VARIABLES, serviceEnvironment, serviceNodeOptions } from '@kera/config';

const ROOT = path.resolve(__dirname, '..', '..');
const DEPLOY = path.join(ROOT, 'deploy');
const SERVICES = ['gateway', 'workflow', 'dispatcher', 'audit'] as const;
const HTTP_PORT_VARIABLE = {
  gateway: 'PORT',
  workflow: 'KERA_HEALTH_PORT',
  dispatcher: 'KERA_HEALTH_PORT',
  audit: 'KERA_HEALTH_PORT',
};
const CONFIG_NAMES = new Set(CONFIG_VARIABLES.map((variable) => variable.name));

// The manifests are data: these types name only what the checks read.
type Doc = Record<string, any>;
interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: { name: string; value?: string }[];
  envFrom?: Record<string, { name: string }>[];
  ports?: { name: string; containerPort: number }[];
  livenessProbe?: Doc;
  readinessProbe?: Doc;
  resources?: { requests?: Doc; limits?: Doc };
}

function kubernetesDocs(): Doc[] {
  const dir = path.join(DEPLOY, 'kubernetes');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .flatMap((file) =>
      parseAllDocuments(readFileSync(path.join(dir, file), 'utf8')).map((doc) => {
        expect(doc.errors).toEqual([]);
        return doc.toJS() as Doc;
      }),
    );
}

const docs = kubernetesDocs();
const find = (kind: string, name: string): Doc => {
  const found = docs.find((doc) => doc.kind === kind && doc.metadata?.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in deploy/kubernetes`);
  return found;
};
const containersOf = (workload: Doc): Container[] => workload.spec.template.spec.containers;
const natsConfig = readFileSync(path.join(DEPLOY, 'nats', 'nats-cluster.conf'), 'utf8');

describe('Kubernetes manifests', () => {
  it('are all listed in the kustomization, with the NATS config as a generated ConfigMap', () => {
    const kustomization = parse(readFileSync(path.join(DEPLOY, 'kustomization.yaml'), 'utf8'));
    const files = readdirSync(path.join(DEPLOY, 'kubernetes')).map((file) => `kubernetes/${file}`);

    expect([...kustomization.resources].sort()).toEqual(files.sort());
    expect(kustomization.configMapGenerator).toEqual([
      { name: 'nats-config', files: ['nats/nats-cluster.conf'] },
    ]);
    expect(kustomization.namespace).toBe('kera');
    expect(docs.every((doc) => doc.kind === 'Namespace' || doc.metadata.namespace === 'kera')).toBe(
      true,
    );
  });

  it.each(SERVICES)('run %s as a Deployment with probes on its real HTTP port', (service) => {
    const deployment = find('Deployment', `kera-${service}`);
    const [container] = containersOf(deployment);

    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(container?.args).toEqual([service]);
    const port = container?.ports?.find((candidate) => candidate.name === 'http');
    const portVariable = container?.env?.find((env) => env.name === HTTP_PORT_VARIABLE[service]);
    expect(Number(portVariable?.value)).toBe(port?.containerPort);
    expect(container?.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container?.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(deployment.spec.template.metadata.annotations['prometheus.io/port']).toBe(
      String(port?.containerPort),
    );
    expect(container?.resources?.requests).toMatchObject({
      cpu: expect.any(String),
      memory: expect.any(String),
    });
    expect(container?.resources?.limits).toMatchObject({ memory: expect.any(String) });
    const selector = deployment.spec.selector.matchLabels;
    expect(deployment.spec.template.metadata.labels).toMatchObject(selector);
  });

  it('use one image for every Kera container, the one the kustomization tags', () => {
    const kustomization = parse(readFileSync(path.join(DEPLOY, 'kustomization.yaml'), 'utf8'));
    const keraContainers = docs
      .filter((doc) => ['Deployment', 'Job'].includes(doc.kind))
      .flatMap(containersOf);

    expect(keraContainers).toHaveLength(SERVICES.length + 1);
    expect(new Set(keraContainers.map((container) => container.image))).toEqual(
      new Set(['kera-webhooks']),
    );
    expect(kustomization.images).toEqual([{ name: 'kera-webhooks', newTag: expect.any(String) }]);
  });

  it('name only environment variables that the services read', () => {
    const keraContainers = docs
      .filter((doc) => ['Deployment', 'Job'].includes(doc.kind))
      .flatMap(containersOf);
    const names = [
      ...keraContainers.flatMap((container) => (container.env ?? []).map((env) => env.name)),
      ...Object.keys(find('ConfigMap', 'kera-config').data),
      ...Object.keys(find('Secret', 'kera-secrets').stringData),
    ];

    expect(names.filter((name) => !CONFIG_NAMES.has(name))).toEqual([]);
    for (const container of keraContainers) {
      expect(container.envFrom).toEqual([
        { configMapRef: { name: 'kera-config' } },
        { secretRef: { name: 'kera-secrets' } },
      ]);
    }
  });

  it('expose the gateway through a Service on its HTTP port', () => {
    const service = find('Service', 'kera-gateway');
    const gateway = find('Deployment', 'kera-gateway');

    expect(service.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http' }]);
    expect(gateway.spec.template.metadata.labels).toMatchObject(service.spec.selector);
  });

  it('migrate with a Job that runs the CLI’s migrate command', () => {
    const job = find('Job', 'kera-migrate');

    expect(containersOf(job)[0]?.args).toEqual(['kera', 'migrate']);
    expect(job.spec.template.spec.restartPolicy).toBe('OnFailure');
  });

  it('run NATS as a 3-node StatefulSet behind a headless Service, with R3 streams', () => {
    const statefulSet = find('StatefulSet', 'nats');
    const headless = find('Service', statefulSet.spec.serviceName);
    const [nats] = containersOf(statefulSet);
    const config = find('ConfigMap', 'kera-config').data;

    expect(statefulSet.spec.replicas).toBe(3);
    expect(statefulSet.spec.podManagementPolicy).toBe('Parallel');
    expect(headless.spec.clusterIP).toBe('None');
    expect(headless.spec.publishNotReadyAddresses).toBe(true);
    expect(nats?.args).toEqual(['-c', '/etc/nats/nats-cluster.conf']);
    const volumes = statefulSet.spec.template.spec.volumes;
    expect(volumes).toContainEqual({ name: 'config', configMap: { name: 'nats-config' } });
    expect(config.KERA_STREAM_REPLICAS).toBe('3');
    expect(config.NATS_URL.split(',')).toEqual(
      [0, 1, 2].map((n) => `nats://nats-${n}.nats.kera.svc.cluster.local:4222`),
    );
    expect(find('PodDisruptionBudget', 'nats').spec.minAvailable).toBe(2);
  });

  it('route every NATS pod to the others through the headless Service', () => {
    const statefulSet = find('StatefulSet', 'nats');
    const [nats] = containersOf(statefulSet);
    const clusterPort = nats?.ports?.find((port) => port.name === 'cluster')?.containerPort;
    const routes = [...natsConfig.matchAll(/nats:\/\/([\w.-]+):(\d+)/g)].map((match) => match[0]);

    expect(routes).toEqual(
      [0, 1, 2].map((n) => `nats://nats-${n}.nats.kera.svc.cluster.local:${clusterPort}`),
    );
    expect(natsConfig).toMatch(new RegExp(`cluster \\{[^}]*listen: 0\\.0\\.0\\.0:${clusterPort}`));
    expect(natsConfig).toMatch(/server_name: \$SERVER_NAME/);
    expect(nats?.env).toContainEqual({
      name: 'SERVER_NAME',
      valueFrom: { fieldRef: { fieldPath: 'metadata.name' } },
    });
  });
});

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), {
    merge: true,
  });

  it('runs NATS, Postgres and the four services, each with a health check', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['audit', 'dispatcher', 'gateway', 'nats', 'postgres', 'workflow'].sort(),
    );
    for (const [name, service] of Object.entries<Doc>(compose.services)) {
      expect({ name, test: service.healthcheck?.test }).toEqual({ name, test: expect.any(Array) });
    }
    expect(compose.services.nats.command).toEqual(expect.arrayContaining(['-js']));
  });

  it.each(SERVICES)(
    'starts %s from the shared image once NATS and Postgres are healthy',
    (name) => {
      const service = compose.services[name];
      const port = service.environment[HTTP_PORT_VARIABLE[name]];

      expect(service.command).toEqual([name]);
      expect(service.image).toBe('kera-webhooks:local');
      expect(service.depends_on).toEqual({
        nats: { condition: 'service_healthy' },
        postgres: { condition: 'service_healthy' },
      });
      expect(service.healthcheck.test.join(' ')).toContain(`http://127.0.0.1:${port}/readyz`);
      expect(Object.keys(service.environment).filter((key) => !CONFIG_NAMES.has(key))).toEqual([]);
    },
  );
});

describe('the container entrypoint', () => {
  const script = readFileSync(path.join(DEPLOY, 'docker-entrypoint.sh'), 'utf8');

  it.each(SERVICES)('starts %s with the V8 options every other launcher uses', (name) => {
    // The command line of the `case` branch that runs this service.
    const branch = script
      .split(';;')
      .find((part) => new RegExp(`^\\s*(\\w+\\|)*${name}(\\|\\w+)*\\)`, 'm').test(part));
    const command = (branch ?? '').replace(/\\\n/g, ' ');
    const options = [...command.matchAll(/--[a-z-]+=\S+/g)].map((match) => match[0]);

    expect(command).toMatch(/exec node /);
    expect(options).toEqual([...serviceNodeOptions(name)]);
  });

  it('exports the environment defaults every other launcher gives the services', () => {
    const defaults = serviceEnvironment({});
    expect(Object.keys(defaults).length).toBeGreaterThan(0);
    for (const [name, value] of Object.entries(defaults)) {
      // Set unless the container's environment already sets it.
      expect(script).toContain(`export ${name}="\${${name}:-${value}}"`);
    }
  });
});
