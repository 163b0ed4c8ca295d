// The Kubernetes manifests (deploy/kubernetes/), checked without a cluster: every document
// against the Kubernetes OpenAPI schemas (kubernetes-models' validate()), and the ConfigMap's
// config.toml against the analyzer's own config schema.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { readConfig } from '../src/config/config-file.js';

const DIR = join(import.meta.dirname, '../../../deploy/kubernetes');
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  ConfigMap,
  Service,
  DaemonSet,
  Deployment,
};

/** The fields the checks below read. */
interface Manifest {
  kind: string;
  data?: Record<string, string>;
  spec: {
    template: {
      metadata: { annotations: Record<string, string> };
      spec: {
        containers: {
          args: string[];
          readinessProbe: { httpGet: { path: string } };
          resources: { requests?: object };
        }[];
      };
    };
  };
}

const documents = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) =>
    parseAllDocuments(readFileSync(join(DIR, f), 'utf8')).map((d) => ({
      file: f,
      object: d.toJS() as Manifest,
    })),
  );

it('the manifests are a DaemonSet, a Deployment, a Service and a ConfigMap', () => {
  expect(documents.map((d) => d.object.kind).sort()).toEqual(['ConfigMap', 'DaemonSet', 'Deployment', 'Service']);
});

it.each(documents.map((d) => [`${d.file}: ${d.object.kind}`, d.object] as const))('%s is valid', (_name, object) => {
  const Model = MODELS[object.kind as string];
  expect(Model).toBeDefined();
  expect(() => new (Model as NonNullable<typeof Model>)(object as never).validate()).not.toThrow();
});

it("the ConfigMap's config.toml is a valid config; both workloads read it, probe /health and are scraped", () => {
  const map = documents.find((d) => d.object.kind === 'ConfigMap')?.object;
  expect(() => readConfig(map?.data?.['config.toml'] ?? '', 'config.toml')).not.toThrow();
  for (const kind of ['DaemonSet', 'Deployment']) {
    const pod = documents.find((d) => d.object.kind === kind)?.object.spec.template;
    const container = pod?.spec.containers[0];
    expect(container?.args).toContain('/etc/log-analyzer/config.toml');
    expect(container?.readinessProbe.httpGet.path).toBe('/health');
    expect(container?.resources.requests).toBeDefined();
    expect(pod?.metadata.annotations['prometheus.io/scrape']).toBe('true');
  }
});
