import { describe, expect, it } from 'vitest';
import { goFloat, goG4, humanize, humanizeDuration, humanizePercentage, parsePromDuration } from './go-format.js';
import { compileTemplate, type TemplateData } from './templates.js';

const data: TemplateData = {
  labels: { job: 'api', instance: 'host:9090', injected: '{{ $value }}', ratio: '0.25' },
  value: 0.0734,
  externalLabels: { cluster: 'eu' },
  externalURL: 'http://analyzer:8080',
};

describe('templates', () => {
  const table: { name: string; given: string; want: string }[] = [
    { name: 'plain text', given: 'all good', want: 'all good' },
    { name: 'a label', given: 'job {{ $labels.job }} down', want: 'job api down' },
    { name: 'a label the dot way', given: '{{ .Labels.instance }}', want: 'host:9090' },
    { name: 'index', given: '{{ index $labels "job" }}', want: 'api' },
    { name: 'a missing label is empty', given: '[{{ $labels.nope }}]', want: '[]' },
    { name: 'the value as Go prints it', given: '{{ $value }}', want: '0.0734' },
    { name: 'humanize piped', given: '{{ $value | humanize }}', want: '73.4m' },
    { name: 'humanize called', given: '{{ humanize 1234567.0 | printf }}', want: 'ERROR' },
    { name: 'humanizePercentage', given: '{{ $value | humanizePercentage }} of requests', want: '7.34% of requests' },
    { name: 'humanizeDuration of a label', given: '{{ humanizeDuration $labels.ratio }}', want: '250ms' },
    {
      name: 'external labels and URL',
      given: '{{ $externalLabels.cluster }} {{ $externalURL }}',
      want: 'eu http://analyzer:8080',
    },
    { name: 'a string', given: '{{ "}}" }}', want: '}}' },
    { name: 'a comment', given: 'a{{/* why */}}b', want: 'ab' },
    { name: 'trimming', given: 'a  {{- $labels.job -}}  b', want: 'aapib' },
    {
      name: 'a label value holding a template is written, not expanded',
      given: 'got {{ $labels.injected }}',
      want: 'got {{ $value }}',
    },
    {
      name: 'humanize of a label that is not a number',
      given: '{{ humanize $labels.job }}',
      want: '<error expanding template: cannot convert "api" to a number>',
    },
  ];
  it.each(table)('$name', ({ given, want }) => {
    const compiled = compileTemplate(given);
    expect(want).toBe(compiled.ok ? compiled.render(data) : 'ERROR');
  });

  const refused: { name: string; given: string; want: RegExp }[] = [
    { name: 'printf', given: '{{ printf "%.2f" $value }}', want: /unsupported function "printf"/ },
    { name: 'range', given: '{{ range $labels }}x{{ end }}', want: /unsupported function "range"/ },
    { name: 'a whole map', given: '{{ $labels }}', want: /unsupported "\$labels"/ },
    { name: 'unclosed', given: 'x {{ $value', want: /not closed/ },
    { name: 'a query', given: '{{ query "up" }}', want: /unsupported function "query"/ },
    { name: 'two arguments', given: '{{ humanize $value $value }}', want: /takes one argument/ },
  ];
  it.each(refused)('refuses $name', ({ given, want }) => {
    const compiled = compileTemplate(given);
    expect(compiled.ok ? 'accepted' : compiled.message).toMatch(want);
  });
});

describe('Go formatting', () => {
  const numbers: { name: string; given: [(v: number) => string, number]; want: string }[] = [
    { name: '%v of a fraction', given: [goFloat, 0.05], want: '0.05' },
    { name: '%v of a million', given: [goFloat, 1e6], want: '1e+06' },
    { name: '%v of 123456', given: [goFloat, 123456], want: '123456' },
    { name: '%v of a tiny one', given: [goFloat, 0.00001234], want: '1.234e-05' },
    { name: '%v of +Inf', given: [goFloat, Number.POSITIVE_INFINITY], want: '+Inf' },
    { name: '%.4g rounds', given: [goG4, 1.23456], want: '1.235' },
    { name: '%.4g drops zeros', given: [goG4, 1.5], want: '1.5' },
    { name: '%.4g large', given: [goG4, 123456], want: '1.235e+05' },
    { name: 'humanize 0', given: [humanize, 0], want: '0' },
    { name: 'humanize 1234', given: [humanize, 1234], want: '1.234k' },
    { name: 'humanize 2.5e9', given: [humanize, 2.5e9], want: '2.5G' },
    { name: 'humanize 0.0012', given: [humanize, 0.0012], want: '1.2m' },
    { name: 'humanizePercentage', given: [humanizePercentage, 0.05234], want: '5.234%' },
    { name: 'humanizeDuration 90', given: [humanizeDuration, 90], want: '1m 30s' },
    { name: 'humanizeDuration a day', given: [humanizeDuration, 90061], want: '1d 1h 1m 1s' },
    { name: 'humanizeDuration 1.5', given: [humanizeDuration, 1.5], want: '1.5s' },
    { name: 'humanizeDuration 0', given: [humanizeDuration, 0], want: '0s' },
    { name: 'humanizeDuration 0.012', given: [humanizeDuration, 0.012], want: '12ms' },
  ];
  it.each(numbers)('$name', ({ given: [fn, v], want }) => {
    expect(want).toBe(fn(v));
  });

  const durations: { name: string; given: string; want: number | null }[] = [
    { name: 'minutes', given: '5m', want: 300_000 },
    { name: 'combined', given: '1h30m', want: 5_400_000 },
    { name: 'zero', given: '0', want: 0 },
    { name: 'ms', given: '250ms', want: 250 },
    { name: 'days and weeks', given: '1w1d', want: 8 * 86_400_000 },
    { name: 'out of order', given: '30m1h', want: null },
    { name: 'no unit', given: '30', want: null },
    { name: 'a fraction', given: '1.5m', want: null },
    { name: 'empty', given: '', want: null },
    { name: 'negative', given: '-1m', want: null },
  ];
  it.each(durations)('duration $name', ({ given, want }) => {
    expect(want).toBe(parsePromDuration(given));
  });
});
