// The templates of a rule's labels and annotations: the part of Go's text/template that
// Prometheus' alerting rules use most, compiled at load so that anything else is refused there
// (naming the rule), never half-expanded at evaluation. Supported, with `{{- … -}}` trimming:
//   {{ $labels.NAME }}  {{ .Labels.NAME }}  {{ index $labels "NAME" }}  {{ $value }}  {{ .Value }}
//   {{ $externalLabels.NAME }}  {{ $externalURL }}  "text"  {{/* a comment */}}
//   humanize, humanizePercentage, humanizeDuration — called (`humanize $value`) or piped (`$value | humanize`).
// What a template is given (label values, the value) is data: a label value holding `{{` is
// written as it is, never expanded. Pure.

import { goFloat, humanize, humanizeDuration, humanizePercentage } from './go-format.js';

export interface TemplateData {
  labels: Readonly<Record<string, string>>;
  value: number;
  externalLabels?: Readonly<Record<string, string>>;
  externalURL?: string;
}

export type Template = (data: TemplateData) => string;

type Value = number | string;
type Operand = (data: TemplateData) => Value;
type Part = string | ((data: TemplateData) => string);

const FUNCTIONS: Record<string, (v: Value) => string> = {
  humanize: (v) => humanize(toFloat(v)),
  humanizePercentage: (v) => humanizePercentage(toFloat(v)),
  humanizeDuration: (v) => humanizeDuration(toFloat(v)),
};

const SUPPORTED =
  'supported: $labels.NAME, $value, $externalLabels.NAME, $externalURL, "text", and humanize, humanizePercentage, humanizeDuration';

class TemplateError extends Error {}

/** As Prometheus' convertToFloat: a number, or a label value's text read as one. */
function toFloat(v: Value): number {
  if (typeof v === 'number') return v;
  const n = Number(v.trim());
  if (v.trim() === '' || Number.isNaN(n)) throw new TemplateError(`cannot convert ${JSON.stringify(v)} to a number`);
  return n;
}

/** Go's %v of a value. */
const shown = (v: Value) => (typeof v === 'number' ? goFloat(v) : v);

const NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Splits an action's text on `sep` (a space or `|`) outside double-quoted strings. */
function split(text: string, sep: RegExp): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      current += ch;
      if (ch === '\\') current += text[++i] ?? '';
      else if (ch === '"') quoted = false;
    } else if (ch === '"') {
      quoted = true;
      current += ch;
    } else if (sep.test(ch)) {
      out.push(current);
      current = '';
    } else current += ch;
  }
  if (quoted) throw new TemplateError('a string is not closed');
  out.push(current);
  return out.map((s) => s.trim());
}

function operand(token: string): Operand {
  if (token === '$value' || token === '.Value') return (d) => d.value;
  if (token === '$externalURL') return (d) => d.externalURL ?? '';
  const label = /^(?:\$labels|\.Labels|\$externalLabels)\.(.+)$/.exec(token);
  if (label && NAME.test(label[1] as string)) {
    const name = label[1] as string;
    // Prometheus expands with missingkey=zero: a missing label is empty.
    if (token.startsWith('$externalLabels')) return (d) => d.externalLabels?.[name] ?? '';
    return (d) => d.labels[name] ?? '';
  }
  if (token.startsWith('"')) {
    let text: string;
    try {
      text = JSON.parse(token);
    } catch {
      throw new TemplateError(`bad string ${token}`);
    }
    return () => text;
  }
  throw new TemplateError(`unsupported ${JSON.stringify(token)} (${SUPPORTED})`);
}

/** One command of a pipeline: `operand`, `fn operand`, `index $labels "x"`; piped: `fn` alone. */
function command(tokens: string[], piped: Operand | null): Operand {
  const [head, ...args] = tokens.filter(Boolean);
  if (head === undefined) throw new TemplateError('an empty command');
  if (head === 'index') {
    const [map, key] = args;
    if (piped || args.length !== 2 || (map !== '$labels' && map !== '.Labels') || !key?.startsWith('"')) {
      throw new TemplateError('index takes $labels and a quoted label name');
    }
    const name = operand(key)({ labels: {}, value: 0 }) as string;
    return (d) => d.labels[name] ?? '';
  }
  const fn = FUNCTIONS[head];
  if (fn) {
    if (args.length + (piped ? 1 : 0) !== 1) throw new TemplateError(`${head} takes one argument`);
    const arg = piped ?? operand(args[0] as string);
    return (d) => fn(arg(d));
  }
  if (piped || args.length > 0) throw new TemplateError(`unsupported function ${JSON.stringify(head)} (${SUPPORTED})`);
  return operand(head);
}

function action(text: string): Part | null {
  if (text.startsWith('/*')) {
    if (!text.endsWith('*/')) throw new TemplateError('a comment is not closed');
    return null;
  }
  let value: Operand | null = null;
  for (const part of split(text, /\|/)) value = command(split(part, /\s/), value);
  const pipeline = value as Operand;
  return (d) => shown(pipeline(d));
}

/** Compiles a template; `{ ok: false }` says what is not supported, and where. */
export function compileTemplate(text: string): { ok: true; render: Template } | { ok: false; message: string } {
  const parts: Part[] = [];
  let at = 0;
  let trimNext = false;
  try {
    while (at < text.length) {
      const open = text.indexOf('{{', at);
      let literal = text.slice(at, open < 0 ? text.length : open);
      if (trimNext) literal = literal.replace(/^\s+/, '');
      if (open < 0) {
        parts.push(literal);
        break;
      }
      const trimBefore = text.startsWith('{{- ', open);
      if (trimBefore) literal = literal.replace(/\s+$/, '');
      parts.push(literal);
      // The action ends at the first `}}` outside a string.
      let end = -1;
      let quoted = false;
      for (let i = open + 2; i < text.length - 1; i++) {
        const ch = text[i];
        if (quoted) {
          if (ch === '\\') i++;
          else if (ch === '"') quoted = false;
        } else if (ch === '"') quoted = true;
        else if (ch === '}' && text[i + 1] === '}') {
          end = i;
          break;
        }
      }
      if (end < 0) throw new TemplateError(`{{ at ${open} is not closed`);
      trimNext = text[end - 1] === '-' && text[end - 2] === ' ';
      const inner = text.slice(open + 2 + (trimBefore ? 2 : 0), end - (trimNext ? 2 : 0)).trim();
      try {
        const part = action(inner);
        if (part) parts.push(part);
      } catch (error) {
        throw new TemplateError(`{{ ${inner} }}: ${(error as Error).message}`);
      }
      at = end + 2;
    }
  } catch (error) {
    if (error instanceof TemplateError) return { ok: false, message: error.message };
    throw error;
  }
  if (parts.every((p) => typeof p === 'string')) {
    const plain = parts.join('');
    return { ok: true, render: () => plain };
  }
  return {
    ok: true,
    render: (data) => {
      try {
        return parts.map((p) => (typeof p === 'string' ? p : p(data))).join('');
      } catch (error) {
        // As Prometheus: the failure in place of the text, the rule carries on.
        return `<error expanding template: ${(error as Error).message}>`;
      }
    },
  };
}
