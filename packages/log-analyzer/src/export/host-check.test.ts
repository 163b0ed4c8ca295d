import { describe, expect, it } from 'vitest';
import { hostAllowed, hostName } from './host-check.js';

describe('hostName', () => {
  it.each([
    { name: 'a name and a port', given: 'Example.COM:8080', want: 'example.com' },
    { name: 'a final dot', given: 'example.com.', want: 'example.com' },
    { name: 'IPv6 with a port', given: '[::1]:8080', want: '::1' },
    { name: 'IPv4 without a port', given: '127.0.0.1', want: '127.0.0.1' },
  ])('$name', ({ given, want }) => {
    expect(hostName(given)).toBe(want);
  });
});

describe('hostAllowed', () => {
  it.each([
    { name: 'no Host header', given: [undefined, '127.0.0.1', []], want: true },
    { name: 'loopback bind: localhost with a port', given: ['localhost:8080', '127.0.0.1', []], want: true },
    { name: 'loopback bind: 127.0.0.1', given: ['127.0.0.1:8080', '127.0.0.1', []], want: true },
    { name: 'loopback bind: [::1]', given: ['[::1]:8080', '::1', []], want: true },
    { name: 'loopback bind: a rebound name', given: ['evil.example:8080', '127.0.0.1', []], want: false },
    { name: 'localhost bind: a rebound name', given: ['evil.example', 'localhost', []], want: false },
    {
      name: 'loopback bind: a listed name',
      given: ['metrics.internal', '127.0.0.1', ['metrics.internal']],
      want: true,
    },
    { name: 'any-interface bind, no list: any name', given: ['analyzer:8080', '0.0.0.0', []], want: true },
    { name: 'a list: an unlisted name', given: ['evil.example', '0.0.0.0', ['analyzer']], want: false },
    { name: 'a list: a listed name', given: ['Analyzer:8080', '0.0.0.0', ['analyzer']], want: true },
    { name: 'a list: a subdomain of a wildcard', given: ['a.svc.local', '0.0.0.0', ['*.svc.local']], want: true },
    {
      name: 'a list: not the wildcard domain itself',
      given: ['evilsvc.local', '0.0.0.0', ['*.svc.local']],
      want: false,
    },
    { name: 'a list: an IP address', given: ['10.1.2.3:8080', '0.0.0.0', ['analyzer']], want: true },
  ] as { name: string; given: [string | undefined, string, string[]]; want: boolean }[])('$name', ({ given, want }) => {
    expect(hostAllowed(...given)).toBe(want);
  });
});
