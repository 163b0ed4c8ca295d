// GET /metrics?format=json: the Prometheus exposition as JSON, made from the very text
// format=prometheus serves (parsed back by the wiring), so both always hold the same values:
//
//   {"format":"json","timestamp":"…","families":[
//     {"name":"orders_total","type":"counter","help":"…","series":[{"labels":{"shop":"a"},"value":3}]},
//     {"name":"latency_seconds","type":"histogram","help":"…","series":[{"labels":{},
//       "buckets":[{"le":"0.1","count":2},{"le":"+Inf","count":5}],"sum":1.5,"count":5}]},
//     {"name":"rpc_seconds","type":"summary","help":"…","series":[{"labels":{},
//       "quantiles":[{"quantile":"0.5","value":0.2}],"sum":3,"count":9}]}]}
//
// Values are JSON numbers; one that is not finite is the string Prometheus writes (`+Inf`, `-Inf`, `NaN`).

/** A family as the text parser gives it (sources/scrape/prom-text.ts ScrapedFamily). */
export interface TextFamily {
  name: string;
  type: string;
  help: string | null;
  samples: readonly { metric: string; labels: readonly (readonly [string, string])[]; value: string }[];
}

export type JsonValue = number | string;

export interface JsonSeries {
  labels: Record<string, string>;
  value?: JsonValue;
  buckets?: { le: string; count: JsonValue }[];
  quantiles?: { quantile: string; value: JsonValue }[];
  sum?: JsonValue;
  count?: JsonValue;
}

export interface JsonFamily {
  name: string;
  type: string;
  help: string | null;
  series: JsonSeries[];
}

/** A sample's text value as JSON: a number, or the text when it is not a finite one. */
export function jsonValue(text: string): JsonValue {
  const n = Number(text);
  return Number.isFinite(n) ? n : text;
}

/** The families of an exposition as JSON (the shape above). Pure. */
export function jsonFamilies(families: readonly TextFamily[]): JsonFamily[] {
  return families.map((family) => {
    const grouped = family.type === 'histogram' || family.type === 'summary';
    const bySeries = new Map<string, JsonSeries>();
    const series: JsonSeries[] = [];
    for (const sample of family.samples) {
      const own = sample.labels.filter(([k]) => !(grouped && (k === 'le' || k === 'quantile')));
      const labels = Object.fromEntries(own);
      if (!grouped) {
        series.push({ labels, value: jsonValue(sample.value) });
        continue;
      }
      const key = JSON.stringify(own);
      let s = bySeries.get(key);
      if (!s) {
        s = family.type === 'histogram' ? { labels, buckets: [] } : { labels, quantiles: [] };
        bySeries.set(key, s);
        series.push(s);
      }
      const suffix = sample.metric.slice(family.name.length);
      const label = (k: string) => sample.labels.find(([n]) => n === k)?.[1] ?? '';
      if (suffix === '_sum') s.sum = jsonValue(sample.value);
      else if (suffix === '_count') s.count = jsonValue(sample.value);
      else if (suffix === '_bucket') s.buckets?.push({ le: label('le'), count: jsonValue(sample.value) });
      else s.quantiles?.push({ quantile: label('quantile'), value: jsonValue(sample.value) });
    }
    return { name: family.name, type: family.type, help: family.help, series };
  });
}
