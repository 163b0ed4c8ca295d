import { describe, expect, it } from 'vitest';
import {
  chooseConsumer,
  DEAD_MESSAGE_CHARS,
  deadLetter,
  foreignBatches,
  leaseAllowsApply,
  mayClaim,
  parseProcessingKey,
  parseTooLarge,
  planRecovery,
  processingKey,
  processingPattern,
  redactedUrl,
  refusals,
  restoreQueuePosition,
  TOO_LARGE,
} from './queue-plan.js';

const K = 'prom-stream-gateway:metric-queue';

describe('planRecovery', () => {
  it.each([
    { seqs: [], applied: 0, remove: [], apply: [], next: 1 },
    { seqs: [], applied: 41, remove: [], apply: [], next: 42 },
    { seqs: [3, 1, 2], applied: 2, remove: [1, 2], apply: [3], next: 4 },
    { seqs: [7, 5], applied: 4, remove: [], apply: [5, 7], next: 8 },
    { seqs: [1, 2], applied: 9, remove: [1, 2], apply: [], next: 10 },
  ])('lists $seqs, checkpoint at $applied', ({ seqs, applied, remove, apply, next }) => {
    expect(planRecovery(seqs, applied)).toEqual({ remove, apply, next });
  });
});

describe('processing keys', () => {
  it.each([
    { name: processingKey(K, 'a-1', 12), want: { consumer: 'a-1', seq: 12 } },
    { name: `${K}:processing:a:0`, want: null },
    { name: `${K}:processing:a:01`, want: null },
    { name: `${K}:processing::5`, want: null },
    { name: `${K}:processing:a b:5`, want: null },
    { name: `${K}:lease:a`, want: null },
    { name: `other:processing:a:5`, want: null },
  ])('$name', ({ name, want }) => {
    expect(parseProcessingKey(K, name)).toEqual(want);
  });

  it('escapes glob characters of the key in SCAN patterns', () => {
    expect(processingPattern('q[1]*', 'me')).toBe('q\\[1\\]\\*:processing:me:*');
    expect(processingPattern('q', null)).toBe('q:processing:*:*');
  });

  it("groups other consumers' lists, oldest first, and leaves ours out", () => {
    const names = [processingKey(K, 'b', 10), processingKey(K, 'me', 1), processingKey(K, 'b', 2), `${K}:dead`];
    expect([...foreignBatches(K, names, 'me')]).toEqual([
      [
        'b',
        [
          { name: processingKey(K, 'b', 2), seq: 2 },
          { name: processingKey(K, 'b', 10), seq: 10 },
        ],
      ],
    ]);
  });
});

describe('restoreQueuePosition', () => {
  it.each([
    {
      name: 'what the queue source writes',
      given: { consumer: 'web-1', applied: 7 },
      want: { consumer: 'web-1', applied: 7 },
    },
    { name: 'nothing applied yet', given: { consumer: 'web-1', applied: 0 }, want: { consumer: 'web-1', applied: 0 } },
    { name: 'none saved (a first start)', given: undefined, want: null },
    { name: 'null', given: null, want: null },
    { name: 'not an object', given: 'web-1', want: null },
    { name: 'no applied', given: { consumer: 'web-1' }, want: null },
    { name: 'no consumer', given: { applied: 7 }, want: null },
    { name: 'a consumer id no list can have', given: { consumer: 'not valid!', applied: 7 }, want: null },
    { name: 'a consumer that is not a string', given: { consumer: 7, applied: 7 }, want: null },
    { name: 'applied as text', given: { consumer: 'web-1', applied: '7' }, want: null },
    { name: 'applied negative', given: { consumer: 'web-1', applied: -1 }, want: null },
    { name: 'applied fractional', given: { consumer: 'web-1', applied: 1.5 }, want: null },
  ])('$name', ({ given, want }) => {
    expect(restoreQueuePosition(given)).toEqual(want);
  });
});

describe('chooseConsumer', () => {
  it.each([
    { configured: 'given', saved: { consumer: 'old' }, want: 'given' },
    { configured: null, saved: { consumer: 'old' }, want: 'old' },
    { configured: null, saved: { consumer: 'not valid!' }, want: 'web_1-abc123' },
    { configured: null, saved: undefined, want: 'web_1-abc123' },
  ])('$configured / $saved', ({ configured, saved, want }) => {
    expect(chooseConsumer(configured, saved, 'web_1', 'abc123')).toBe(want);
  });

  it('makes a host name safe', () => {
    expect(chooseConsumer(null, undefined, 'my host:1', 'ff')).toBe('my-host-1-ff');
  });
});

it('a dead letter carries the message as it came, and why', () => {
  const letter = JSON.parse(deadLetter('not json', 'invalid_json', 'at position 1', 0, 'me'));
  expect(letter).toEqual({
    reason: 'invalid_json',
    error: 'at position 1',
    at: '1970-01-01T00:00:00.000Z',
    consumer: 'me',
    size: 8,
    message: 'not json',
  });
});

it('a dead letter keeps a bounded prefix of a long message (and of its error), with its size', () => {
  const long = 'x'.repeat(10 * DEAD_MESSAGE_CHARS);
  const letter = JSON.parse(deadLetter(long, 'invalid_json', 'e'.repeat(100_000), 0, 'me'));
  expect(letter.message).toBe(long.slice(0, DEAD_MESSAGE_CHARS));
  expect(letter.size).toBe(long.length);
  expect(letter.truncated).toBe(true);
  expect(letter.error.length).toBeLessThanOrEqual(1024);
  // A too_large marker's prefix, with the size the claim script measured in Redis.
  expect(JSON.parse(deadLetter('{"na', 'too_large', '', 0, 'me', 67_108_864))).toMatchObject({
    size: 67_108_864,
    truncated: true,
    message: '{"na',
  });
});

describe('the too_large marker the claim script writes', () => {
  it.each([
    { name: 'a marker', given: `${TOO_LARGE}67108864 {"name":"x"`, want: { size: 67_108_864, prefix: '{"name":"x"' } },
    { name: 'an empty prefix', given: `${TOO_LARGE}5 `, want: { size: 5, prefix: '' } },
    { name: 'a JSON message', given: '{"name":"x"}', want: null },
    { name: 'a marker without a size', given: `${TOO_LARGE}abc def`, want: null },
  ])('$name', ({ given, want }) => {
    expect(parseTooLarge(given)).toEqual(want);
  });
});

describe('mayClaim: the workers decoding, one more claimed ahead, and no more', () => {
  it.each([
    { name: 'nothing in flight', given: { inFlight: 0, workers: 2, pending: 0, maxPending: 10 }, want: true },
    {
      name: 'every worker decoding: one claimed ahead',
      given: { inFlight: 2, workers: 2, pending: 0, maxPending: 10 },
      want: true,
    },
    {
      name: 'workers + 1 in flight: wait',
      given: { inFlight: 3, workers: 2, pending: 0, maxPending: 10 },
      want: false,
    },
    { name: 'one worker', given: { inFlight: 1, workers: 1, pending: 0, maxPending: 10 }, want: true },
    { name: 'one worker, two in flight', given: { inFlight: 2, workers: 1, pending: 0, maxPending: 10 }, want: false },
    {
      name: 'applied batches at the cap (checkpoints failing)',
      given: { inFlight: 0, workers: 2, pending: 10, maxPending: 10 },
      want: false,
    },
    {
      name: 'batches claimed count against the cap',
      given: { inFlight: 1, workers: 2, pending: 9, maxPending: 10 },
      want: false,
    },
    {
      name: 'a cap of one: one batch at a time',
      given: { inFlight: 1, workers: 1, pending: 0, maxPending: 1 },
      want: false,
    },
    { name: 'under the cap', given: { inFlight: 1, workers: 2, pending: 8, maxPending: 10 }, want: true },
  ])('$name', ({ given, want }) => {
    expect(mayClaim(given.inFlight, given.workers, given.pending, given.maxPending)).toBe(want);
  });
});

describe('the lease fence: apply only while the lease certainly holds', () => {
  it.each([
    { name: 'just renewed', given: { now: 0, validUntil: 30_000, leaseMs: 30_000 }, want: true },
    { name: 'inside the margin (1 s)', given: { now: 29_500, validUntil: 30_000, leaseMs: 30_000 }, want: false },
    { name: 'expired', given: { now: 31_000, validUntil: 30_000, leaseMs: 30_000 }, want: false },
    { name: 'never held', given: { now: 5, validUntil: 0, leaseMs: 30_000 }, want: false },
    { name: 'a short lease: a tenth as margin', given: { now: 850, validUntil: 1000, leaseMs: 1000 }, want: true },
    { name: 'a short lease, in the margin', given: { now: 950, validUntil: 1000, leaseMs: 1000 }, want: false },
  ])('$name', ({ given, want }) => {
    expect(leaseAllowsApply(given.now, given.validUntil, given.leaseMs)).toBe(want);
  });
});

it('says a URL without its password', () => {
  expect(redactedUrl('redis://user:secret@host:6379/1')).toBe('redis://user:***@host:6379/1');
  expect(redactedUrl('redis://host:6379')).toBe('redis://host:6379');
  expect(redactedUrl('http://h:9/metrics?token=SECRETTOK4&format=json')).toBe(
    'http://h:9/metrics?token=***&format=json',
  );
  expect(redactedUrl('http://h/x?api_key=a&X-Amz-Signature=b&page=2')).toBe(
    'http://h/x?api_key=***&X-Amz-Signature=***&page=2',
  );
});

describe('refusals: a too_large marker becomes its own reason, with the size measured in Redis', () => {
  it.each([
    {
      name: 'a marker the decoder refused as no JSON',
      given: { reason: 'invalid_json' as const, text: `${TOO_LARGE}2000001 {"type"` },
      want: { reason: 'too_large', text: '{"type"', size: 2_000_001 },
    },
    {
      name: 'any other refusal keeps its reason and text',
      given: { reason: 'invalid_type' as const, text: '{"type":"meter"}' },
      want: { reason: 'invalid_type', text: '{"type":"meter"}', size: undefined },
    },
  ])('$name', ({ given, want }) => {
    const [refusal] = refusals([{ index: 0, reason: given.reason, message: 'e' }], [given.text], 1_000_000);
    expect(refusal).toMatchObject(want);
  });
});
