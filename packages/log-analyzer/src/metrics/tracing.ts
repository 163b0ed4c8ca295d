// Optional tracing: spans exported over OTLP/HTTP (JSON) with the OpenTelemetry JS SDK. Off by
// default, and then free: no SDK module is loaded (startTracing imports it on demand) and callers
// hold `null`, so each place that would record a span costs one null check. Spans are recorded
// once their work is done (start and end times given), so nothing is threaded through the stages:
// HTTP requests (child of an incoming W3C traceparent), queue batches, checkpoint writes, and
// rule evaluations (the rules code records `rules.evaluate` the same way).

export interface SpanRecord {
  name: string;
  /** Milliseconds since the epoch (nowMs()). */
  startMs: number;
  endMs: number;
  attributes?: Record<string, string | number | boolean>;
  /** An incoming W3C traceparent header: the span is its child (ignored when malformed). */
  parent?: string;
  /** 'server' for an HTTP request answered here; else internal. */
  kind?: 'server' | 'internal';
  /** Why it failed (the span's status is then an error). */
  error?: string;
}

export interface Tracing {
  record(span: SpanRecord): void;
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
}

/** Now, in milliseconds since the epoch, with sub-millisecond precision. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

/**
 * Where spans go: the flag's URL, else (tracing switched on) the OTLP standard variables, else
 * the OTLP/HTTP default port on this host. A base URL gets /v1/traces, as OTEL_EXPORTER_OTLP_ENDPOINT
 * does; a …_TRACES_ENDPOINT is used as it is. null: tracing is off. Pure.
 */
export function tracesUrl(
  flag: string | undefined,
  enabled: boolean,
  env: Readonly<Record<string, string | undefined>>,
): string | null {
  const base = (url: string) => (/\/v1\/traces\/?$/.test(url) ? url : `${url.replace(/\/+$/, '')}/v1/traces`);
  if (flag) return base(flag);
  if (!enabled) return null;
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  return base(env.OTEL_EXPORTER_OTLP_ENDPOINT || 'http://localhost:4318');
}

/** What the SDK complains with, as one line: an Error's or a serialized error's message, else the text. */
function errorText(value: unknown): string {
  if (value instanceof Error) return value.message;
  const text = String(value);
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {}
  return text.split('\n')[0] ?? text;
}

/**
 * Starts exporting spans to `url` (the SDK is loaded here, only when tracing is on). The SDK's own
 * complaints (an export that failed: no collector there) go to `warn`, each distinct one once.
 */
export async function startTracing(url: string, version: string, warn: (message: string) => void): Promise<Tracing> {
  const [api, core, resources, sdk, exporter] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
  ]);
  const said = new Set<string>();
  const complain = (message: unknown, ...rest: unknown[]) => {
    const text = `tracing: ${[message, ...rest].map(errorText).join(' ')}`;
    if (said.size < 100 && !said.has(text)) warn(text);
    said.add(text);
  };
  const quiet = () => {};
  api.diag.setLogger(
    { error: complain, warn: complain, info: quiet, debug: quiet, verbose: quiet },
    api.DiagLogLevel.WARN,
  );
  const provider = new sdk.BasicTracerProvider({
    resource: resources.resourceFromAttributes({ 'service.name': 'log-analyzer', 'service.version': version }),
    // OTEL_BSP_SCHEDULE_DELAY and the other OTEL_BSP_* variables tune the batching, as in any SDK.
    spanProcessors: [new sdk.BatchSpanProcessor(new exporter.OTLPTraceExporter({ url }))],
  });
  const tracer = provider.getTracer('log-analyzer', version);
  const propagator = new core.W3CTraceContextPropagator();
  return {
    record(record) {
      const context = record.parent
        ? propagator.extract(api.ROOT_CONTEXT, { traceparent: record.parent }, api.defaultTextMapGetter)
        : api.ROOT_CONTEXT;
      const span = tracer.startSpan(
        record.name,
        {
          kind: record.kind === 'server' ? api.SpanKind.SERVER : api.SpanKind.INTERNAL,
          startTime: record.startMs,
          attributes: record.attributes ?? {},
        },
        context,
      );
      if (record.error !== undefined) span.setStatus({ code: api.SpanStatusCode.ERROR, message: record.error });
      span.end(record.endMs);
    },
    // What is buffered is sent, for a second at most: a collector that is gone must not hold up the stop.
    shutdown: () =>
      Promise.race([
        provider.shutdown().catch(() => {}),
        new Promise<void>((resolve) => setTimeout(resolve, 1000).unref()),
      ]),
  };
}
