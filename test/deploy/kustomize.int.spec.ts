import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

const DEPLOY = path.resolve(__dirname, '..', '..', 'deploy');

describe('kubectl kustomize deploy/', () => {
  it('renders every manifest with the NATS config and the tagged image', () => {
    const rendered = execFileSync('kubectl', ['kustomize', DEPLOY], { encoding: 'utf8' });
    const docs = parseAllDocuments(rendered).map((doc) => doc.toJS() as Record<string, any>);

    const kinds = docs.map((doc) => `${doc.kind}/${doc.metadata.name}`).sort();
    expect(kinds).toEqual(
      [
        'ConfigMap/kera-config',
        'ConfigMap/nats-config',
        'Deployment/kera-audit',
        'Deployment/kera-dispatcher',
        'Deployment/kera-gateway',
        'Deployment/kera-workflow',
        'Job/kera-migrate',
        'Namespace/kera',
        'PodDisruptionBudget/nats',
        'Secret/kera-secrets',
        'Service/kera-gateway',
        'Service/nats',
        'StatefulSet/nats',
      ].sort(),
    );
    const natsConfig = docs.find((doc) => doc.metadata.name === 'nats-config');
    expect(natsConfig?.data['nats-cluster.conf']).toBe(
      readFileSync(path.join(DEPLOY, 'nats', 'nats-cluster.conf'), 'utf8'),
    );
    const images = docs
      .filter((doc) => doc.kind === 'Deployment' || doc.kind === 'Job')
      .map((doc) => doc.spec.template.spec.containers[0].image);
    expect(new Set(images)).toEqual(
      new Set([expect.stringMatching(/^kera-webhooks:\d+\.\d+\.\d+$/)]),
    );
  });
});
