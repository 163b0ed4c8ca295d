// Test and benchmark bodies made by the real OpenTelemetry JS SDK: a MeterProvider whose reader
// collects on demand, serialized by the SDK's own OTLP serializers (protobuf and JSON).

import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';

class OnDemandReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

export interface SdkBodies {
  provider: MeterProvider;
  /** Collects now: the request as protobuf and as JSON bytes. */
  collect(): Promise<{ protobuf: Uint8Array; json: Uint8Array }>;
}

/** A meter provider for `attributes` (the resource) with `temporality` for every instrument. */
export function otlpSdk(attributes: Record<string, string>, temporality: 'cumulative' | 'delta'): SdkBodies {
  const reader = new OnDemandReader({
    aggregationTemporalitySelector: () =>
      temporality === 'delta' ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE,
  });
  const provider = new MeterProvider({ resource: resourceFromAttributes(attributes), readers: [reader] });
  return {
    provider,
    async collect() {
      const { resourceMetrics } = await reader.collect();
      const protobuf = ProtobufMetricsSerializer.serializeRequest(resourceMetrics);
      const json = JsonMetricsSerializer.serializeRequest(resourceMetrics);
      if (!protobuf || !json) throw new Error('the SDK serialized nothing');
      return { protobuf, json };
    },
  };
}
