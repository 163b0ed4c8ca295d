// Test and benchmark bodies made by the real OpenTelemetry JS SDK: a MeterProvider whose reader
// collects on demand, serialized by the SDK's own OTLP serializers (protobuf and JSON); and the
// decoded batch as lines, for the OTLP unit tests.

import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { DecodedBatch } from '../src/store/push-batch.js';
import type { BatchContext, BatchError } from '../src/transforms/push/batch.js';

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

/** The push context of the OTLP unit tests: no tenant, namespace or prefix, the default limits. */
export const OTLP_CONTEXT = {
  limits: { maxItems: 10_000, maxLabels: 30, maxLabelValueBytes: 1024, maxSeriesBytes: 8192 },
  namespace: '',
  prefix: '',
  tenant: null,
} as BatchContext;

/** Each sample of a batch as `name{key} value source` (`name{key} value type source` with types), sorted. */
export function batchLines(batch: DecodedBatch | BatchError, types = false): string[] {
  if ('error' in batch) throw new Error(batch.error.message);
  const out: string[] = [];
  for (let g = 0; g < batch.keys.length; g++) {
    const family = batch.families[batch.family[g] as number];
    const key = (batch.keys[g] as string).replaceAll('\u0000', ',').replace(/,$/, '');
    const source = (batch.sources[g] as string).replace(/@\d+/, '@T');
    const type = types ? ` ${family?.type}` : '';
    for (let i = batch.start[g] as number; i < (batch.start[g + 1] as number); i++) {
      out.push(`${family?.name}{${key}} ${batch.values[i]}${type} ${source}`);
    }
  }
  return out.sort();
}
