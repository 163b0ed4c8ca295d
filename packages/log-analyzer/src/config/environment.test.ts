import { describe, expect, it } from 'vitest';
import { senderEnvironment } from './environment.js';

describe("the senders' settings", () => {
  it.each([
    [{ Redis__ConnectionString: 'redis:6379' }, { LOG_ANALYZER_REDIS_URL: 'redis://redis:6379' }],
    [{ Redis__ConnectionString: 'redis:6379,abortConnect=false' }, { LOG_ANALYZER_REDIS_URL: 'redis://redis:6379' }],
    [{ Redis__ConnectionString: 'redis://r:1/2' }, { LOG_ANALYZER_REDIS_URL: 'redis://r:1/2' }],
    [{ Redis__ConnectionString: 'a:1', LOG_ANALYZER_REDIS_URL: 'redis://b:2' }, {}],
    [
      { Redis__MetricQueueWorkers: '4', Redis__MetricQueueDatabase: '3', Redis__MetricQueueKey: 'q' },
      { LOG_ANALYZER_REDIS_WORKERS: '4', LOG_ANALYZER_REDIS_DB: '3', LOG_ANALYZER_REDIS_KEY: 'q' },
    ],
    [{ Metrics__SortIncomingLabels: 'false' }, { LOG_ANALYZER_NO_SORT_LABELS: 'true' }],
    [{ Metrics__SortIncomingLabels: 'true' }, {}],
    [{ Redis__ConnectionString: '' }, {}],
    // The metrics-service API's names (issue 28).
    [{ ACCESS_ENV: 'staging' }, { LOG_ANALYZER_ENVIRONMENT: 'staging' }],
    [{ ACCESS_MAX_METRIC_SERIES: '500' }, { LOG_ANALYZER_HISTORY_MAX_SERIES: '500' }],
    [{ ACCESS_MAX_POINTS_PER_SERIES: '90' }, { LOG_ANALYZER_HISTORY_MAX_POINTS: '90' }],
    [{ ACCESS_AGGREGATION_WINDOW_SECONDS: '60' }, { LOG_ANALYZER_AGGREGATION_WINDOW: '60' }],
    [{ ACCESS_ENV: 'staging', LOG_ANALYZER_ENVIRONMENT: 'prod' }, {}],
    // Log level: LOG_ANALYZER_LOG_LEVEL, then ACCESS_LOG_LEVEL, then LOG_LEVEL.
    [{ LOG_LEVEL: 'debug' }, { LOG_ANALYZER_LOG_LEVEL: 'debug' }],
    [{ LOG_LEVEL: 'debug', ACCESS_LOG_LEVEL: 'Warning' }, { LOG_ANALYZER_LOG_LEVEL: 'Warning' }],
    [{ LOG_LEVEL: 'debug', ACCESS_LOG_LEVEL: 'warn', LOG_ANALYZER_LOG_LEVEL: 'error' }, {}],
    [{ ACCESS_ENABLE_TRACING: 'true' }, { LOG_ANALYZER_TRACING: 'true' }],
    [{ ACCESS_ENABLE_TRACING: 'false' }, {}],
  ])('%o', (env, want) => {
    expect(senderEnvironment(env)).toEqual(want);
  });
});
