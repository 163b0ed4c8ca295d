import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Stage } from './catalog.js';
import { ErrorReport } from './error-report.js';

const eio = Object.assign(new Error('i/o error'), { code: 'EIO' });

type Step = [Stage, string, unknown] | ['forget', Stage, string];

const cases: { name: string; given: Step[]; want: { said: string[]; counted: Record<string, number> } }[] = [
  {
    name: 'the same error again for the same subject is counted, not said again',
    given: [
      ['read', '/a.log', eio],
      ['read', '/a.log', eio],
      ['read', '/a.log', eio],
    ],
    want: { said: ['read: /a.log: i/o error'], counted: { 'read EIO': 3 } },
  },
  {
    name: 'another message for the same subject is said, and the first again after it',
    given: [
      ['read', '/a.log', eio],
      ['read', '/a.log', new Error('gone')],
      ['read', '/a.log', eio],
    ],
    want: {
      said: ['read: /a.log: i/o error', 'read: /a.log: gone', 'read: /a.log: i/o error'],
      counted: { 'read EIO': 2, 'read other': 1 },
    },
  },
  {
    name: 'the same message about another subject or in another stage is said',
    given: [
      ['read', '/a.log', eio],
      ['read', '/b.log', eio],
      ['watch', '/a.log', eio],
    ],
    want: {
      said: ['read: /a.log: i/o error', 'read: /b.log: i/o error', 'watch: /a.log: i/o error'],
      counted: { 'read EIO': 2, 'watch EIO': 1 },
    },
  },
  {
    name: 'a forgotten subject is said again; forgetting another stage changes nothing',
    given: [
      ['read', '/a.log', eio],
      ['forget', 'watch', '/a.log'],
      ['read', '/a.log', eio],
      ['forget', 'read', '/a.log'],
      ['read', '/a.log', eio],
    ],
    want: { said: ['read: /a.log: i/o error', 'read: /a.log: i/o error'], counted: { 'read EIO': 3 } },
  },
  {
    name: 'a thrown non-Error is said as its string',
    given: [
      ['push', 'a decode thread failed', 'worker exited'],
      ['push', 'a decode thread failed', 'worker exited'],
    ],
    want: { said: ['push: a decode thread failed: worker exited'], counted: { 'push other': 2 } },
  },
];

describe('ErrorReport: counted every time, said once per distinct problem', () => {
  for (const { name, given, want } of cases) {
    it(name, async () => {
      const errors = new Counter({
        name: 'errors_total',
        help: 'h',
        labelNames: ['stage', 'error'],
        registers: [new Registry()],
      });
      const said: string[] = [];
      const report = new ErrorReport(errors, (m) => said.push(m));
      for (const step of given) {
        if (step[0] === 'forget') report.forget(step[1], step[2]);
        else report.report(step[0], step[1], step[2]);
      }
      const counted = Object.fromEntries(
        (await errors.get()).values.map((v) => [`${v.labels.stage} ${v.labels.error}`, v.value]),
      );
      expect(want).toEqual({ said, counted });
    });
  }

  it("keeps each stage's last error with its subject and time (for /health)", () => {
    const errors = new Counter({ name: 'e_total', help: 'h', labelNames: ['stage', 'error'], registers: [] });
    let now = 1000;
    const report = new ErrorReport(
      errors,
      () => {},
      () => now,
    );
    report.report('read', '/a.log', eio);
    now = 2000;
    report.report('read', '/b.log', 'oops');
    report.report('checkpoint', '/cp.json', eio);
    expect(
      new Map([
        ['read', { at: 2000, message: '/b.log: oops' }],
        ['checkpoint', { at: 2000, message: '/cp.json: i/o error' }],
      ]),
    ).toEqual(report.lastError);
  });
});
