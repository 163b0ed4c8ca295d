// The web configuration file (--web-config-file), in Prometheus exporter-toolkit's YAML shape:
// TLS for every port served, extra response headers, bcrypt basic-auth users. Parsing is pure and
// strict: an unknown or unsupported key, a bad value or a hash that is not bcrypt is refused with
// a message naming the key (web-security.ts reads the files it names and applies it).
//
//   tls_server_config: { cert_file: server.crt, key_file: server.key, client_auth_type: RequireAndVerifyClientCert, client_ca_file: ca.crt }
//   http_server_config: { headers: { Strict-Transport-Security: max-age=31536000 } }
//   basic_auth_users: { prometheus: $2y$10$… }

import { parse } from 'yaml';

/** exporter-toolkit's client_auth_type values (Go's tls.ClientAuthType), RequireClientCert its old alias. */
export const CLIENT_AUTH_TYPES = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

/** Go's TLS version names → Node's. */
export const TLS_VERSIONS = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' } as const;
type NodeTlsVersion = (typeof TLS_VERSIONS)[keyof typeof TLS_VERSIONS];

/**
 * Go's cipher suite names (crypto/tls CipherSuites(), as exporter-toolkit takes them) → OpenSSL's,
 * which Node's `ciphers` option takes. The TLS 1.3 suites have the same name in both.
 */
export const CIPHER_SUITES: Readonly<Record<string, string>> = {
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_AES_128_GCM_SHA256: 'TLS_AES_128_GCM_SHA256',
  TLS_AES_256_GCM_SHA384: 'TLS_AES_256_GCM_SHA384',
  TLS_CHACHA20_POLY1305_SHA256: 'TLS_CHACHA20_POLY1305_SHA256',
};

/** Go's curve names → OpenSSL's (Node's ecdhCurve). */
export const CURVES: Readonly<Record<string, string>> = {
  CurveP256: 'P-256',
  CurveP384: 'P-384',
  CurveP521: 'P-521',
  X25519: 'X25519',
};

/**
 * The only headers http_server_config may set, with the values it may take (null: any), as
 * exporter-toolkit allows: the rest (Server, Set-Cookie, CORS…) are refused.
 */
export const SETTABLE_HEADERS: Readonly<Record<string, readonly string[] | null>> = {
  'Strict-Transport-Security': null,
  'X-Content-Type-Options': ['nosniff'],
  'X-Frame-Options': ['deny', 'sameorigin'],
  'X-XSS-Protection': null,
  'Content-Security-Policy': null,
};

/** A bcrypt hash as Go's bcrypt and bcryptjs take it: $2a$/$2b$/$2y$, a cost of 4 to 31, 53 characters of salt and hash. */
const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;

export interface TlsSettings {
  /** A file, or the PEM text itself (cert, key, client_ca). */
  cert: { file: string } | { pem: string };
  key: { file: string } | { pem: string };
  clientCa: { file: string } | { pem: string } | null;
  clientAuthType: ClientAuthType;
  minVersion: NodeTlsVersion;
  maxVersion: NodeTlsVersion;
  /** OpenSSL names, in the file's order; empty: Node's defaults. */
  ciphers: string[];
  preferServerCipherSuites: boolean;
  /** OpenSSL names; empty: Node's defaults. */
  curves: string[];
  /** A client certificate must name one of these (DNS, IP, e-mail or URI SAN); null: any. */
  allowedSans: string[] | null;
}

export interface WebConfig {
  /** null: plain HTTP (a file with only users or headers). */
  tls: TlsSettings | null;
  headers: Record<string, string>;
  /** user → bcrypt hash; empty: no basic auth. */
  users: Map<string, string>;
}

type Node = Record<string, unknown>;

const isMap = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Refuses any key of `node` not in `known`, naming it with its path. */
function onlyKeys(node: Node, where: string, known: readonly string[], unsupported: readonly string[] = []): void {
  for (const key of Object.keys(node)) {
    const path = where ? `${where}.${key}` : key;
    if (unsupported.includes(key)) throw new Error(`${path}: not supported by log-analyzer`);
    if (!known.includes(key)) throw new Error(`${path}: unknown key (known: ${known.join(', ')})`);
  }
}

function section(root: Node, key: string): Node {
  const v = root[key];
  if (v === undefined || v === null) return {};
  if (!isMap(v)) throw new Error(`${key}: must be a mapping`);
  return v;
}

function text(node: Node, key: string, where: string): string | undefined {
  const v = node[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new Error(`${where}.${key}: must be a string`);
  return v;
}

function oneOf<T extends string>(value: string | undefined, path: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value))
    throw new Error(`${path}: "${value}" is not one of ${allowed.join(', ')}`);
  return value as T;
}

function names(node: Node, key: string, where: string, table: Readonly<Record<string, string>>): string[] {
  const v = node[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new Error(`${where}.${key}: must be a list`);
  return v.map((name) => {
    const mapped = typeof name === 'string' ? table[name] : undefined;
    if (!mapped) throw new Error(`${where}.${key}: unknown name ${JSON.stringify(name)}`);
    return mapped;
  });
}

/** A file path relative to the web config file's folder, as exporter-toolkit resolves it. Pure. */
export function resolveIn(dir: string, file: string): string {
  return file.startsWith('/') ? file : `${dir.replace(/\/$/, '')}/${file}`;
}

function source(node: Node, inline: string, fileKey: string, where: string, dir: string) {
  const pem = text(node, inline, where);
  const file = text(node, fileKey, where);
  if (pem !== undefined && file !== undefined)
    throw new Error(`${where}.${fileKey}: give ${inline} or ${fileKey}, not both`);
  if (file !== undefined) return { file: resolveIn(dir, file) };
  return pem === undefined ? null : { pem };
}

function tlsSettings(node: Node, dir: string): TlsSettings | null {
  const where = 'tls_server_config';
  onlyKeys(node, where, [
    'cert',
    'key',
    'client_ca',
    'cert_file',
    'key_file',
    'client_auth_type',
    'client_ca_file',
    'min_version',
    'max_version',
    'cipher_suites',
    'prefer_server_cipher_suites',
    'curve_preferences',
    'client_allowed_sans',
  ]);
  if (Object.values(node).every((v) => v === undefined || v === null || v === '')) return null;
  const cert = source(node, 'cert', 'cert_file', where, dir);
  const key = source(node, 'key', 'key_file', where, dir);
  if (!cert) throw new Error(`${where}.cert_file: missing (one of cert or cert_file is needed)`);
  if (!key) throw new Error(`${where}.key_file: missing (one of key or key_file is needed)`);
  const clientCa = source(node, 'client_ca', 'client_ca_file', where, dir);
  const clientAuthType = oneOf(
    text(node, 'client_auth_type', where) === 'RequireClientCert'
      ? 'RequireAnyClientCert'
      : text(node, 'client_auth_type', where),
    `${where}.client_auth_type`,
    CLIENT_AUTH_TYPES,
    'NoClientCert',
  );
  if (clientCa && clientAuthType === 'NoClientCert') {
    throw new Error(`${where}.client_auth_type: a client CA is given without a client auth policy`);
  }
  if (clientAuthType === 'RequireAndVerifyClientCert' || clientAuthType === 'VerifyClientCertIfGiven') {
    if (!clientCa)
      throw new Error(`${where}.client_ca_file: ${clientAuthType} needs the CA that signs client certificates`);
  }
  const versions = Object.keys(TLS_VERSIONS) as (keyof typeof TLS_VERSIONS)[];
  const min = oneOf(text(node, 'min_version', where), `${where}.min_version`, versions, 'TLS12');
  const max = oneOf(text(node, 'max_version', where), `${where}.max_version`, versions, 'TLS13');
  if (versions.indexOf(min) > versions.indexOf(max)) throw new Error(`${where}.min_version: above max_version`);
  const prefer = node.prefer_server_cipher_suites;
  if (prefer !== undefined && prefer !== null && typeof prefer !== 'boolean') {
    throw new Error(`${where}.prefer_server_cipher_suites: must be true or false`);
  }
  const sans = node.client_allowed_sans;
  if (sans !== undefined && sans !== null && (!Array.isArray(sans) || !sans.every((v) => typeof v === 'string'))) {
    throw new Error(`${where}.client_allowed_sans: must be a list of names`);
  }
  if (Array.isArray(sans) && clientAuthType === 'NoClientCert') {
    throw new Error(`${where}.client_allowed_sans: needs a client_auth_type that asks for a certificate`);
  }
  return {
    cert,
    key,
    clientCa,
    clientAuthType,
    minVersion: TLS_VERSIONS[min],
    maxVersion: TLS_VERSIONS[max],
    ciphers: names(node, 'cipher_suites', where, CIPHER_SUITES),
    preferServerCipherSuites: prefer ?? true,
    curves: names(node, 'curve_preferences', where, CURVES),
    allowedSans: Array.isArray(sans) ? (sans as string[]) : null,
  };
}

function headers(node: Node): Record<string, string> {
  const where = 'http_server_config';
  onlyKeys(node, where, ['headers', 'http2']);
  if (node.http2 !== undefined && node.http2 !== null && typeof node.http2 !== 'boolean') {
    throw new Error(`${where}.http2: must be true or false`);
  }
  const given = section(node, 'headers');
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(given)) {
    const allowed = SETTABLE_HEADERS[name];
    if (allowed === undefined) throw new Error(`${where}.headers.${name}: this header cannot be configured`);
    if (value === null || value === '') continue;
    if (typeof value !== 'string') throw new Error(`${where}.headers.${name}: must be a string`);
    if (allowed && !allowed.includes(value)) {
      throw new Error(`${where}.headers.${name}: "${value}" is not one of ${allowed.join(', ')}`);
    }
    if (/[\r\n\0]/.test(value)) throw new Error(`${where}.headers.${name}: a value cannot hold a line break`);
    out[name] = value;
  }
  return out;
}

/**
 * A certificate's subject alternative names as Node gives them (`DNS:a, IP Address:10.0.0.1,
 * email:x@y, URI:spiffe://z`) → the values. Pure.
 */
export function sanValues(subjectaltname: string | undefined): string[] {
  if (!subjectaltname) return [];
  return subjectaltname
    .split(/,\s*/)
    .map((entry) => entry.slice(entry.indexOf(':') + 1).replace(/^"|"$/g, ''))
    .filter(Boolean);
}

/** A bcrypt hash's problem, or null when Go's bcrypt and bcryptjs both take it. Pure. */
export function hashProblem(hash: string): string | null {
  const m = BCRYPT.exec(hash);
  if (!m) return 'not a bcrypt hash ($2a$, $2b$ or $2y$, a two-digit cost, 53 characters)';
  const cost = Number(m[1]);
  if (cost < 4 || cost > 31) return `bcrypt cost ${cost} is outside 4 to 31`;
  return null;
}

function users(node: Node): Map<string, string> {
  const out = new Map<string, string>();
  for (const [user, hash] of Object.entries(node)) {
    const path = `basic_auth_users.${user}`;
    if (typeof hash !== 'string') throw new Error(`${path}: must be a bcrypt hash`);
    const problem = hashProblem(hash);
    if (problem) throw new Error(`${path}: ${problem}`);
    out.set(user, hash);
  }
  return out;
}

/**
 * The web config file's text → its settings, file paths resolved in `dir`; throws one line naming
 * the key at fault. Pure.
 */
export function parseWebConfig(yamlText: string, dir: string): WebConfig {
  let root: unknown;
  try {
    root = parse(yamlText, { uniqueKeys: true });
  } catch (error) {
    throw new Error(`not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (root === null || root === undefined) root = {};
  if (!isMap(root)) throw new Error('must be a YAML mapping');
  onlyKeys(root, '', ['tls_server_config', 'http_server_config', 'basic_auth_users'], ['rate_limit']);
  return {
    tls: tlsSettings(section(root, 'tls_server_config'), dir),
    headers: headers(section(root, 'http_server_config')),
    users: users(section(root, 'basic_auth_users')),
  };
}
