// What --web-config-file does to every port served: TLS (with client certificates), the extra
// response headers and basic auth, applied in front of the HTTP app on each server made here.
// Owns the config in force. A reload (SIGHUP, or a change of the file or of a certificate, key or
// CA it names) reads everything again and swaps it in whole, connections kept: new handshakes
// take the new certificate (server.setSecureContext), open keep-alive connections carry on; a bad
// file is refused naming the key and the running config stays. TLS on↔off waits for a restart.

import { randomUUID } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import {
  createServer as createHttp,
  type IncomingMessage,
  type Server,
  type ServerOptions,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttps } from 'node:https';
import { dirname } from 'node:path';
import { createSecureContext, type SecureContextOptions, type TLSSocket } from 'node:tls';
import { Counter, type Registry } from 'prom-client';
import { BasicAuth } from './basic-auth.js';
import { saneRequestId } from './request-log.js';
import { parseWebConfig, sanValues, type TlsSettings, type WebConfig } from './web-config.js';

export type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

/** Why a request or connection was refused here (log_analyzer_web_refused_total{reason}). */
export type WebRefusal = 'unauthorized' | 'busy' | 'client_certificate';

interface Loaded {
  config: WebConfig;
  auth: BasicAuth;
  /** Node's TLS options (files read), null: plain HTTP. */
  tls: (SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean }) | null;
  /** The files whose change is a reload: the YAML and what it names. */
  files: string[];
}

const pem = (s: { file: string } | { pem: string }, key: string): string => {
  if ('pem' in s) return s.pem;
  try {
    return readFileSync(s.file, 'utf8');
  } catch (error) {
    throw new Error(
      `tls_server_config.${key}: cannot read ${s.file}: ${(error as NodeJS.ErrnoException).code ?? error}`,
    );
  }
};

/** Node's options for the TLS settings, files read; a certificate that does not load is refused naming its key. */
function tlsOptions(t: TlsSettings): NonNullable<Loaded['tls']> {
  const options: NonNullable<Loaded['tls']> = {
    cert: pem(t.cert, 'cert_file'),
    key: pem(t.key, 'key_file'),
    minVersion: t.minVersion,
    maxVersion: t.maxVersion,
    honorCipherOrder: t.preferServerCipherSuites,
    // Verified at the handshake only for RequireAndVerifyClientCert; the other modes are checked
    // once it is done (checkClient), as Node cannot require a certificate it does not verify.
    requestCert: t.clientAuthType !== 'NoClientCert',
    rejectUnauthorized: t.clientAuthType === 'RequireAndVerifyClientCert',
    ...(t.clientCa ? { ca: pem(t.clientCa, 'client_ca_file') } : {}),
    ...(t.ciphers.length > 0 ? { ciphers: t.ciphers.join(':') } : {}),
    ...(t.curves.length > 0 ? { ecdhCurve: t.curves.join(':') } : {}),
  };
  try {
    createSecureContext(options);
  } catch (error) {
    const message = (error as Error).message;
    const key = /cipher/i.test(message)
      ? 'cipher_suites'
      : /ca|issuer/i.test(message) && t.clientCa
        ? 'client_ca_file'
        : 'cert_file';
    throw new Error(`tls_server_config.${key}: ${message}`);
  }
  return options;
}

/** Reads the web config file and everything it names; throws one line naming the key at fault. */
export function loadWebConfig(path: string): Loaded {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  const config = parseWebConfig(text, dirname(path));
  const files = [path];
  if (config.tls)
    for (const s of [config.tls.cert, config.tls.key, config.tls.clientCa]) if (s && 'file' in s) files.push(s.file);
  return { config, auth: new BasicAuth(config.users), tls: config.tls ? tlsOptions(config.tls) : null, files };
}

/**
 * Sets the configured headers so that they win over the app's own (an operator's CSP or
 * X-Frame-Options replaces the default): the app names its headers in writeHead, which would win.
 */
function withHeaders(response: ServerResponse, headers: Record<string, string>): void {
  const names = Object.keys(headers);
  if (names.length === 0) return;
  for (const name of names) response.setHeader(name, headers[name] as string);
  const lower = new Set(names.map((n) => n.toLowerCase()));
  const writeHead = response.writeHead;
  response.writeHead = function (this: ServerResponse, status: number, ...rest: unknown[]) {
    const last = rest[rest.length - 1];
    if (typeof last === 'object' && last !== null && !Array.isArray(last)) {
      const kept = Object.fromEntries(Object.entries(last).filter(([k]) => !lower.has(k.toLowerCase())));
      rest[rest.length - 1] = kept;
    }
    return (writeHead as (...a: unknown[]) => ServerResponse).call(this, status, ...rest);
  } as typeof response.writeHead;
}

/** The Authorization header taken out once basic auth passed: the app behind never sees the password. */
function dropAuthorization(request: IncomingMessage): void {
  delete request.headers.authorization;
  const raw = request.rawHeaders;
  for (let i = raw.length - 2; i >= 0; i -= 2)
    if ((raw[i] as string).toLowerCase() === 'authorization') raw.splice(i, 2);
}

/** A request the gate refused, as the request log tells it (never a header's value or the query). */
export interface RefusedRequest {
  requestId: string;
  method: string;
  path: string;
  status: number;
  remote: string | undefined;
}

/** One value of a request header (the first, when sent twice). */
function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export class WebSecurity {
  private loaded: Loaded;
  private readonly servers = new Set<Server>();
  private watched: string[] = [];
  private counters: { refused: Counter<'reason'>; reloads: Counter<'result'> } | null = null;

  constructor(
    private readonly path: string,
    private readonly events: {
      /** A refusal; with the request when one was answered (not for a connection's certificate). */
      onRefused?(reason: WebRefusal, request?: RefusedRequest): void;
      say?(message: string): void;
    } = {},
  ) {
    this.loaded = loadWebConfig(path);
  }

  /** Counts refusals and reloads in the self metrics from now on. */
  register(registry: Registry): void {
    this.counters = {
      refused: new Counter({
        name: 'log_analyzer_web_refused_total',
        help: 'Requests or connections refused by --web-config-file, by reason (unauthorized: no or wrong basic-auth user and password; busy: too many password checks waiting; client_certificate: missing or unverified).',
        labelNames: ['reason'],
        registers: [registry],
      }),
      reloads: new Counter({
        name: 'log_analyzer_web_config_reloads_total',
        help: 'Reloads of --web-config-file (SIGHUP, or a change of it or of a file it names), by result.',
        labelNames: ['result'],
        registers: [registry],
      }),
    };
  }

  private refused(reason: WebRefusal, request?: RefusedRequest): void {
    this.counters?.refused.inc({ reason });
    this.events.onRefused?.(reason, request);
  }

  /** Whether the ports are served over TLS. */
  get tls(): boolean {
    return this.loaded.tls !== null;
  }

  /** An HTTP or HTTPS server (as the file says) that runs every request through the gate first. */
  createServer(options: ServerOptions, listener: RequestListener): Server {
    const gated: RequestListener = (request, response) =>
      this.gate(request, response, () => listener(request, response));
    const tls = this.loaded.tls;
    const server = tls ? (createHttps({ ...options, ...tls }, gated) as unknown as Server) : createHttp(options, gated);
    if (tls) server.on('secureConnection', (socket: TLSSocket) => this.checkClient(socket));
    this.servers.add(server);
    server.once('close', () => this.servers.delete(server));
    return server;
  }

  /**
   * The modes Node does not enforce at the handshake (a certificate required but not verified, or
   * verified if given), and client_allowed_sans (a certificate naming none of them, or none given).
   */
  private checkClient(socket: TLSSocket): void {
    const tls = this.loaded.config.tls;
    if (!tls) return;
    const mode = tls.clientAuthType;
    const peer = socket.getPeerCertificate();
    const given = Object.keys(peer ?? {}).length > 0;
    const refused =
      (mode === 'RequireAnyClientCert' && !given) ||
      (mode === 'VerifyClientCertIfGiven' && given && !socket.authorized) ||
      (tls.allowedSans !== null && !sanValues(peer?.subjectaltname).some((v) => tls.allowedSans?.includes(v)));
    if (refused) {
      this.refused('client_certificate');
      socket.destroy();
    }
  }

  /** Headers, then basic auth: a request without the right user and password is answered 401 here. */
  gate(request: IncomingMessage, response: ServerResponse, next: () => void): void {
    const { config, auth } = this.loaded;
    withHeaders(response, config.headers);
    if (!auth.enabled) {
      next();
      return;
    }
    auth.check(request.headers.authorization).then(
      (verdict) => {
        if (verdict === 'ok') {
          dropAuthorization(request);
          next();
          return;
        }
        // Answered before the app (and its request log): the request id is given here, as it would be there.
        const requestId = saneRequestId(header(request, 'x-request-id')) ?? randomUUID();
        const status = verdict === 'busy' ? 429 : 401;
        this.refused(verdict === 'busy' ? 'busy' : 'unauthorized', {
          requestId,
          method: request.method ?? '',
          path: (request.url ?? '').split('?')[0] ?? '',
          status,
          remote: request.socket.remoteAddress,
        });
        if (verdict === 'busy') {
          response.writeHead(429, {
            'Content-Type': 'text/plain; charset=utf-8',
            'Retry-After': '1',
            'X-Request-Id': requestId,
          });
          response.end('Too Many Requests: too many password checks waiting\n');
          return;
        }
        response.writeHead(401, {
          'Content-Type': 'text/plain; charset=utf-8',
          'WWW-Authenticate': 'Basic realm="log-analyzer", charset="UTF-8"',
          'X-Request-Id': requestId,
        });
        response.end('Unauthorized\n');
      },
      () => {
        response.writeHead(500);
        response.end();
      },
    );
  }

  /** Reads the file again and swaps it in whole; false (and said) when it is refused. */
  reload(why: string): boolean {
    let next: Loaded;
    try {
      next = loadWebConfig(this.path);
      if ((next.tls === null) !== (this.loaded.tls === null)) {
        throw new Error('tls_server_config: turning TLS on or off takes a restart');
      }
    } catch (error) {
      this.counters?.reloads.inc({ result: 'failure' });
      this.events.say?.(
        `${why}: the new web config ${this.path} is refused, the running one stays: ${(error as Error).message}`,
      );
      return false;
    }
    this.loaded = next;
    if (next.tls) {
      for (const server of this.servers) {
        const s = server as unknown as {
          setSecureContext(o: SecureContextOptions): void;
          requestCert: boolean;
          rejectUnauthorized: boolean;
        };
        s.setSecureContext(next.tls);
        s.requestCert = next.tls.requestCert;
        s.rejectUnauthorized = next.tls.rejectUnauthorized;
      }
    }
    this.watch();
    this.counters?.reloads.inc({ result: 'success' });
    this.events.say?.(
      `${why}: web config ${this.path} reloaded (TLS ${next.tls ? 'on' : 'off'}, ${next.config.users.size} basic-auth users)`,
    );
    return true;
  }

  /** Reloads when the file or a certificate, key or CA it names changes (polled each second, like the config file). */
  watch(): void {
    const files = this.loaded.files;
    for (const f of this.watched) if (!files.includes(f)) unwatchFile(f);
    for (const f of files) {
      if (this.watched.includes(f)) continue;
      watchFile(f, { interval: 1000 }, (now, before) => {
        if (now.mtimeMs !== before.mtimeMs || now.size !== before.size || now.ino !== before.ino)
          this.reload(`${f} changed`);
      }).unref();
    }
    this.watched = [...files];
  }

  close(): void {
    for (const f of this.watched) unwatchFile(f);
    this.watched = [];
  }
}
