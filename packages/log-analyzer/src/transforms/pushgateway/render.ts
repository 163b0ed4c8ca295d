// What the groups look like from outside: Prometheus text for /metrics (every group's families
// merged by name, plus push_time_seconds and push_failure_time_seconds per group) and the JSON
// of pushgateway's GET /api/v1/metrics. Pure.

import {
  type Group,
  type Groups,
  PUSH_FAILURE_TIME,
  PUSH_FAILURE_TIME_HELP,
  PUSH_TIME,
  PUSH_TIME_HELP,
  sanitizeLabels,
} from './groups.js';
import type { FamilyType, Labels, TextSample } from './text-format.js';

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function line({ name, labels, value }: TextSample): string {
  const text = labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
  return `${name}${text ? `{${text}}` : ''} ${formatValue(value)}`;
}

interface Merged {
  help: string;
  type: FamilyType;
  samples: TextSample[];
}

/** Pure: every group's families (and the push times) merged by name, sorted by name. */
export function mergedFamilies(groups: Groups): Map<string, Merged> {
  const merged = new Map<string, Merged>();
  const add = (name: string, help: string, type: FamilyType, samples: readonly TextSample[]) => {
    const found = merged.get(name);
    if (found) found.samples.push(...samples);
    else merged.set(name, { help, type, samples: [...samples] });
  };
  for (const group of groups.values()) {
    const labels = sanitizeLabels([], group.key);
    add(PUSH_TIME, PUSH_TIME_HELP, 'gauge', [{ name: PUSH_TIME, labels, value: group.pushedAt / 1000 }]);
    add(PUSH_FAILURE_TIME, PUSH_FAILURE_TIME_HELP, 'gauge', [
      { name: PUSH_FAILURE_TIME, labels, value: group.failedAt / 1000 },
    ]);
    for (const family of group.families.values()) add(family.name, family.help, family.type, family.samples);
  }
  return new Map([...merged].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Pure: the groups as Prometheus text 0.0.4 ('' when there is none). */
export function groupsText(groups: Groups): string {
  if (groups.size === 0) return '';
  const blocks: string[] = [];
  for (const [name, family] of mergedFamilies(groups)) {
    const lines = [`# HELP ${name} ${escapeHelp(family.help)}`, `# TYPE ${name} ${family.type}`];
    for (const sample of family.samples) lines.push(line(sample));
    blocks.push(lines.join('\n'));
  }
  return `${blocks.join('\n\n')}\n`;
}

/** Pure: a float as Go's fmt.Sprint writes it (pushgateway's JSON carries values as such strings). */
export function goFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  const abs = Math.abs(value);
  if (value !== 0 && (abs < 1e-4 || abs >= 1e21)) {
    return value.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  }
  return String(value);
}

const labelObject = (labels: Labels) => Object.fromEntries(labels);

/** One family of a group in pushgateway's JSON: histograms and summaries folded per series. */
function familyJson(type: FamilyType, name: string, samples: readonly TextSample[]): object[] {
  if (type !== 'histogram' && type !== 'summary') {
    return samples.map((s) => ({ labels: labelObject(s.labels), value: goFloat(s.value) }));
  }
  const special = type === 'histogram' ? 'le' : 'quantile';
  const series = new Map<string, { labels: Labels; points: Record<string, string>; sum: string; count: string }>();
  for (const s of samples) {
    const labels = s.labels.filter(([k]) => k !== special);
    const id = JSON.stringify(labels);
    let entry = series.get(id);
    if (!entry) {
      entry = { labels, points: {}, sum: '0', count: '0' };
      series.set(id, entry);
    }
    if (s.name === `${name}_sum`) entry.sum = goFloat(s.value);
    else if (s.name === `${name}_count`) entry.count = goFloat(s.value);
    else {
      const at = s.labels.find(([k]) => k === special)?.[1];
      if (at !== undefined && !(type === 'histogram' && /^\+?inf$/i.test(at)))
        entry.points[goFloat(Number(at))] = goFloat(s.value);
    }
  }
  return [...series.values()].map((e) => ({
    labels: labelObject(e.labels),
    [type === 'histogram' ? 'buckets' : 'quantiles']: e.points,
    count: e.count,
    sum: e.sum,
  }));
}

function groupJson(group: Group): object {
  const out: Record<string, unknown> = {
    labels: group.key,
    last_push_successful: group.failedAt <= group.pushedAt,
  };
  const gauge = (help: string, value: number) => ({
    time_stamp: new Date(group.pushedAt || group.failedAt).toISOString(),
    type: 'GAUGE',
    help,
    metrics: [{ labels: labelObject(sanitizeLabels([], group.key)), value: goFloat(value) }],
  });
  out[PUSH_TIME] = gauge(PUSH_TIME_HELP, group.pushedAt / 1000);
  out[PUSH_FAILURE_TIME] = gauge(PUSH_FAILURE_TIME_HELP, group.failedAt / 1000);
  for (const family of group.families.values()) {
    out[family.name] = {
      time_stamp: new Date(family.at).toISOString(),
      type: family.type.toUpperCase(),
      ...(family.help ? { help: family.help } : {}),
      metrics: familyJson(family.type, family.name, family.samples),
    };
  }
  return out;
}

/** Pure: GET /api/v1/metrics as pushgateway answers it. */
export function apiMetrics(groups: Groups): object {
  return { status: 'success', data: [...groups.values()].map(groupJson) };
}
