import { describe, expect, it } from 'vitest';
import { hashProblem, parseWebConfig, sanValues } from './web-config.js';

const HASH = '$2y$10$WXrfEIPkP6aMGJer5kQhtuY7G6ZuTpxioIcbuxt.CO9BB.6M4WyXS'; // htpasswd -nbBC 10 "" s3cret-pass

describe('parseWebConfig: what is taken', () => {
  it('an empty file: plain HTTP, no users, no headers', () => {
    expect(parseWebConfig('', '/etc')).toEqual({ tls: null, headers: {}, users: new Map() });
  });

  it("exporter-toolkit's shape, relative files resolved beside the file, Go names mapped to Node's", () => {
    const config = parseWebConfig(
      `tls_server_config:
  cert_file: server.crt
  key_file: /keys/server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
  min_version: TLS13
  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256]
  prefer_server_cipher_suites: false
  curve_preferences: [X25519, CurveP256]
http_server_config:
  http2: false
  headers:
    X-Frame-Options: sameorigin
    Strict-Transport-Security: max-age=31536000
basic_auth_users:
  prometheus: ${HASH}
`,
      '/etc/la',
    );
    expect(config.tls).toEqual({
      cert: { file: '/etc/la/server.crt' },
      key: { file: '/keys/server.key' },
      clientCa: { file: '/etc/la/ca.crt' },
      clientAuthType: 'RequireAndVerifyClientCert',
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
      ciphers: ['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-CHACHA20-POLY1305'],
      preferServerCipherSuites: false,
      curves: ['X25519', 'P-256'],
      allowedSans: null,
    });
    expect(config.headers).toEqual({
      'X-Frame-Options': 'sameorigin',
      'Strict-Transport-Security': 'max-age=31536000',
    });
    expect(config.users.get('prometheus')).toBe(HASH);
  });

  it.each([
    { name: 'no policy: NoClientCert', given: '', want: 'NoClientCert' },
    { name: 'RequestClientCert', given: 'RequestClientCert', want: 'RequestClientCert' },
    { name: 'RequireAnyClientCert', given: 'RequireAnyClientCert', want: 'RequireAnyClientCert' },
    { name: 'RequireClientCert (the old name)', given: 'RequireClientCert', want: 'RequireAnyClientCert' },
    { name: 'VerifyClientCertIfGiven', given: 'VerifyClientCertIfGiven', want: 'VerifyClientCertIfGiven' },
    { name: 'RequireAndVerifyClientCert', given: 'RequireAndVerifyClientCert', want: 'RequireAndVerifyClientCert' },
  ])('client_auth_type $name', ({ given, want }) => {
    const ca = given && given !== 'NoClientCert' ? '\n  client_ca_file: ca.crt' : '';
    const policy = given ? `\n  client_auth_type: ${given}` : '';
    const config = parseWebConfig(`tls_server_config:\n  cert_file: a.crt\n  key_file: a.key${policy}${ca}\n`, '/d');
    expect(config.tls?.clientAuthType).toBe(want);
  });

  it('inline PEM instead of files', () => {
    const config = parseWebConfig('tls_server_config:\n  cert: "-----BEGIN CERTIFICATE-----"\n  key: k\n', '/d');
    expect(config.tls?.cert).toEqual({ pem: '-----BEGIN CERTIFICATE-----' });
  });
});

describe('parseWebConfig: what is refused, naming the key', () => {
  it.each([
    { name: 'an unknown top-level key', given: 'tls_config: {}\n', want: 'tls_config: unknown key' },
    {
      name: 'an unknown TLS key',
      given: 'tls_server_config:\n  cert_file: a\n  key_file: b\n  certfile: c\n',
      want: 'tls_server_config.certfile: unknown key',
    },
    {
      name: 'an unknown http key',
      given: 'http_server_config:\n  header: {}\n',
      want: 'http_server_config.header: unknown key',
    },
    { name: 'rate_limit (not done here)', given: 'rate_limit:\n  interval: 1s\n', want: 'rate_limit: not supported' },
    {
      name: 'client_allowed_sans without a client certificate policy',
      given: 'tls_server_config:\n  cert_file: a\n  key_file: b\n  client_allowed_sans: [x]\n',
      want: 'tls_server_config.client_allowed_sans: needs a client_auth_type',
    },
    {
      name: 'a header exporter-toolkit does not set',
      given: 'http_server_config:\n  headers:\n    Server: me\n',
      want: 'http_server_config.headers.Server: this header cannot be configured',
    },
    {
      name: 'Set-Cookie',
      given: 'http_server_config:\n  headers:\n    Set-Cookie: a=b\n',
      want: 'headers.Set-Cookie: this header cannot be configured',
    },
    {
      name: 'a value X-Frame-Options does not take',
      given: 'http_server_config:\n  headers:\n    X-Frame-Options: allow\n',
      want: 'headers.X-Frame-Options: "allow" is not one of deny, sameorigin',
    },
    {
      name: 'X-Content-Type-Options other than nosniff',
      given: 'http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n',
      want: 'headers.X-Content-Type-Options',
    },
    {
      name: 'a cert without a key',
      given: 'tls_server_config:\n  cert_file: a\n',
      want: 'tls_server_config.key_file: missing',
    },
    {
      name: 'a key without a cert',
      given: 'tls_server_config:\n  key_file: a\n',
      want: 'tls_server_config.cert_file: missing',
    },
    {
      name: 'both cert and cert_file',
      given: 'tls_server_config:\n  cert: x\n  cert_file: a\n  key_file: b\n',
      want: 'tls_server_config.cert_file: give cert or cert_file, not both',
    },
    {
      name: 'an unknown policy',
      given: 'tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Maybe\n',
      want: 'tls_server_config.client_auth_type: "Maybe" is not one of',
    },
    {
      name: 'a client CA with no policy',
      given: 'tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n',
      want: 'client_auth_type: a client CA is given without a client auth policy',
    },
    {
      name: 'verifying without a CA',
      given: 'tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAndVerifyClientCert\n',
      want: 'tls_server_config.client_ca_file: RequireAndVerifyClientCert needs',
    },
    {
      name: 'an unknown TLS version',
      given: 'tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS14\n',
      want: 'tls_server_config.min_version: "TLS14"',
    },
    {
      name: 'min above max',
      given: 'tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n  max_version: TLS12\n',
      want: 'min_version: above max_version',
    },
    {
      name: 'an invented cipher',
      given: 'tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [TLS_INVENTED]\n',
      want: 'tls_server_config.cipher_suites: unknown name "TLS_INVENTED"',
    },
    {
      name: 'an invented curve',
      given: 'tls_server_config:\n  cert_file: a\n  key_file: b\n  curve_preferences: [CurveP999]\n',
      want: 'curve_preferences: unknown name',
    },
    {
      name: 'a plain-text password',
      given: 'basic_auth_users:\n  alice: hunter2\n',
      want: 'basic_auth_users.alice: not a bcrypt hash',
    },
    {
      name: 'an MD5 htpasswd hash',
      given: 'basic_auth_users:\n  alice: $apr1$x$y\n',
      want: 'basic_auth_users.alice: not a bcrypt hash',
    },
    {
      name: 'a bcrypt cost too high',
      given: `basic_auth_users:\n  alice: ${HASH.replace('$10$', '$32$')}\n`,
      want: 'basic_auth_users.alice: bcrypt cost 32 is outside 4 to 31',
    },
    {
      name: 'a bcrypt cost too low',
      given: `basic_auth_users:\n  alice: ${HASH.replace('$10$', '$03$')}\n`,
      want: 'bcrypt cost 3',
    },
    { name: 'users as a list', given: 'basic_auth_users:\n  - alice\n', want: 'basic_auth_users: must be a mapping' },
    { name: 'a duplicate key', given: 'basic_auth_users: {}\nbasic_auth_users: {}\n', want: 'not valid YAML' },
    { name: 'not a mapping', given: '- a\n', want: 'must be a YAML mapping' },
  ])('$name', ({ given, want }) => {
    expect(() => parseWebConfig(given, '/d')).toThrow(want);
  });
});

describe('hashProblem', () => {
  it.each([
    { name: '$2y$ (htpasswd)', given: HASH, want: null },
    { name: '$2a$', given: HASH.replace('$2y$', '$2a$'), want: null },
    { name: '$2b$ (bcryptjs)', given: HASH.replace('$2y$', '$2b$'), want: null },
    { name: '$2x$', given: HASH.replace('$2y$', '$2x$'), want: 'not a bcrypt hash' },
    { name: 'cut short', given: HASH.slice(0, 50), want: 'not a bcrypt hash' },
  ])('$name', ({ given, want }) => {
    const got = hashProblem(given);
    if (want === null) expect(got).toBeNull();
    else expect(got).toContain(want);
  });
});

describe('sanValues', () => {
  it.each([
    { name: 'none', given: undefined, want: [] },
    { name: 'DNS and IP', given: 'DNS:scraper.example, IP Address:10.0.0.1', want: ['scraper.example', '10.0.0.1'] },
    {
      name: 'e-mail and URI',
      given: 'email:a@b.c, URI:spiffe://cluster/ns/x',
      want: ['a@b.c', 'spiffe://cluster/ns/x'],
    },
  ])('$name', ({ given, want }) => {
    expect(sanValues(given)).toEqual(want);
  });
});
