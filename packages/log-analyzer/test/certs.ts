// Certificates made for a test with openssl: a CA, server certificates for 127.0.0.1/localhost
// signed by it, a client certificate it signed and one it did not (self-signed).

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });

/** A key and a certificate signed by the CA in `dir` (ca.crt, ca.key), written as NAME.crt and NAME.key. */
export function signed(dir: string, name: string, subject: string, server: boolean): void {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  openssl([
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    key,
    '-subj',
    `/CN=${subject}`,
    '-out',
    csr,
  ]);
  writeFileSync(
    ext,
    server
      ? 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'
      : 'extendedKeyUsage=clientAuth\n',
  );
  openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    join(dir, 'ca.crt'),
    '-CAkey',
    join(dir, 'ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    ext,
    '-out',
    join(dir, `${name}.crt`),
  ]);
}

/** ca.crt/key, server.crt/key, client.crt/key (signed) and stranger.crt/key (self-signed) in `dir`. */
export function makeCertificates(dir: string): { ca: string; read(name: string): string } {
  openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    join(dir, 'ca.key'),
    '-subj',
    '/CN=test CA',
    '-days',
    '2',
    '-out',
    join(dir, 'ca.crt'),
  ]);
  signed(dir, 'server', '127.0.0.1', true);
  signed(dir, 'client', 'scraper', false);
  openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    join(dir, 'stranger.key'),
    '-subj',
    '/CN=stranger',
    '-days',
    '2',
    '-out',
    join(dir, 'stranger.crt'),
  ]);
  return { ca: join(dir, 'ca.crt'), read: (name) => readFileSync(join(dir, name), 'utf8') };
}
