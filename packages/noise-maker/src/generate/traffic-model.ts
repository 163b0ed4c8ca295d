// A seeded model of web traffic: who asks for what, and what they get back.
// Pure. Weights are rough shapes of real sites' logs: mostly GET 200s for static files and
// pages, an API, redirects and 304s, scanners collecting 404s, and a configurable 5xx share.

import { createRandom, logNormal, type Random, Weighted } from './random.js';

export interface Request {
  client: string; // IPv4 or IPv6
  user: string; // "-" for most
  method: string;
  path: string; // with query string
  protocol: string;
  status: number;
  size: number; // 0 is written as "-" by %b
  durationUs: number;
  referer: string;
  userAgent: string;
  vhost: string;
  port: number;
}

export interface TrafficOptions {
  seed: number;
  /** Share of requests answered with a 5xx, 0..1. */
  errorRate: number;
}

type Kind = 'page' | 'css' | 'js' | 'image' | 'api' | 'search' | 'probe' | 'meta';

/** Median size in bytes and spread, by kind of resource. */
const SIZES: Record<Kind, [number, number]> = {
  page: [12_000, 0.6],
  css: [18_000, 0.7],
  js: [90_000, 0.9],
  image: [45_000, 1.1],
  api: [1_800, 1.0],
  search: [9_000, 0.5],
  probe: [300, 0.3],
  meta: [400, 0.5],
};

const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
  'curl/8.11.0',
  'python-requests/2.32.3',
  'Go-http-client/2.0',
  'Prometheus/3.0.1',
  // Apache writes quotes and backslashes in headers escaped, as here.
  'Mozilla/5.0 (compatible; \\"quoted\\" crawler; C:\\\\bot)',
  '-',
];
const UA_WEIGHTS = [30, 14, 6, 16, 12, 5, 3, 2, 3, 2, 1, 1, 0.2, 0.5];

const SLUGS = ['spring-sale', 'getting-started', 'release-notes', 'pricing', 'about-us', 'how-we-scale', 'tips', 'faq'];
const WORDS = ['shoes', 'red+dress', 'laptop', 'gift', 'coffee', 'headphones', 'lamp', 'tent', 'caf%C3%A9'];
const PROBES = [
  '/wp-login.php',
  '/.env',
  '/admin/config.php',
  '/phpmyadmin/',
  '/.git/config',
  '/cgi-bin/luci',
  '/xmlrpc.php',
];
const HASHES = ['3f9a1c', 'b72e04', '0d41aa', 'e9c3b7', '55f0d2'];

/**
 * What a server answers, by method (the 5xx share is separate): only reads get 304 and 206,
 * creates get 201, deletes mostly 204, and a method the server does not know gets 405.
 */
export const STATUSES: Record<string, readonly (readonly [number, number])[]> = {
  GET: [
    [200, 860],
    [304, 60],
    [301, 15],
    [302, 20],
    [206, 3],
    [400, 8],
    [401, 5],
    [403, 4],
    [404, 25],
    [429, 2],
  ],
  HEAD: [
    [200, 880],
    [304, 60],
    [301, 15],
    [302, 20],
    [401, 5],
    [403, 4],
    [404, 25],
  ],
  POST: [
    [200, 600],
    [201, 250],
    [302, 40],
    [303, 20],
    [400, 40],
    [401, 15],
    [403, 10],
    [404, 10],
    [409, 5],
    [422, 15],
    [429, 5],
  ],
  PUT: [
    [200, 600],
    [201, 100],
    [204, 200],
    [400, 40],
    [401, 10],
    [403, 10],
    [404, 30],
    [409, 10],
  ],
  PATCH: [
    [200, 700],
    [204, 150],
    [400, 60],
    [404, 40],
    [409, 10],
    [422, 40],
  ],
  DELETE: [
    [204, 600],
    [200, 250],
    [401, 20],
    [403, 30],
    [404, 100],
  ],
  OPTIONS: [
    [204, 700],
    [200, 300],
  ],
  PROPFIND: [[405, 1]],
};

/** How unevenly clients send: client k (from 1) sends in proportion to 1 / k^s (Zipf). */
const CLIENT_SKEW = 1.2;
const CLIENTS = 2000;

function hexByte(r: Random): string {
  return r.int(0x10000).toString(16);
}

export class TrafficModel {
  private readonly random: Random;
  /** Each client has one address and one browser, and a few clients send most requests. */
  private readonly clients: Weighted<{ address: string; userAgent: string }>;
  private readonly statuses = new Map(Object.entries(STATUSES).map(([m, table]) => [m, new Weighted(table)]));
  private readonly users = new Weighted([
    ['-', 96],
    ['alice', 1],
    ['bob', 1],
    ['svc-deploy', 1],
    ['frank', 1],
  ] as const);
  private readonly methods = new Weighted([
    ['GET', 830],
    ['POST', 100],
    ['HEAD', 20],
    ['PUT', 20],
    ['OPTIONS', 15],
    ['DELETE', 10],
    ['PATCH', 5],
  ] as const);
  private readonly kinds = new Weighted<Kind>([
    ['page', 22],
    ['css', 8],
    ['js', 12],
    ['image', 25],
    ['api', 22],
    ['search', 5],
    ['probe', 3],
    ['meta', 3],
  ]);
  private readonly protocols = new Weighted([
    ['HTTP/1.1', 70],
    ['HTTP/2.0', 28],
    ['HTTP/1.0', 2],
  ] as const);
  private readonly userAgents = new Weighted(USER_AGENTS.map((ua, i) => [ua, UA_WEIGHTS[i] ?? 1] as const));
  private readonly errorStatus = new Weighted([
    [500, 50],
    [502, 20],
    [503, 20],
    [504, 10],
  ] as const);

  constructor(private readonly options: TrafficOptions) {
    this.random = createRandom(options.seed);
    const r = this.random;
    // A finite client population, as in real logs: a few send most requests, most come once or twice.
    this.clients = new Weighted(
      Array.from({ length: CLIENTS }, (_, i) => {
        const address =
          i % 10 === 9
            ? `2001:db8:${hexByte(r)}:${hexByte(r)}::${hexByte(r)}`
            : `${1 + r.int(223)}.${r.int(256)}.${r.int(256)}.${1 + r.int(254)}`;
        return [{ address, userAgent: this.userAgents.pick(r) }, 1 / (i + 1) ** CLIENT_SKEW] as const;
      }),
    );
  }

  next(): Request {
    const r = this.random;
    const kind = this.kinds.pick(r);
    let method: string = kind === 'api' ? this.methods.pick(r) : r.next() < 0.97 ? 'GET' : 'HEAD';
    if (r.next() < 0.0005) method = 'PROPFIND'; // the odd WebDAV probe: counted as OTHER
    const path = this.path(kind);
    let status: number;
    if (kind === 'probe') status = r.next() < 0.9 ? 404 : 403;
    else if (r.next() < this.options.errorRate) status = this.errorStatus.pick(r);
    else status = (this.statuses.get(method) as Weighted<number>).pick(r);
    const [median, sigma] = SIZES[kind];
    const size = status === 304 || status === 204 || method === 'HEAD' ? 0 : Math.round(logNormal(r, median, sigma));
    // Static files are fast, dynamic ones slower, and errors slowest (timeouts behind 5xx).
    const baseUs = status >= 500 ? 400_000 : kind === 'api' || kind === 'search' ? 25_000 : 1_500;
    const durationUs = Math.max(50, Math.round(logNormal(r, baseUs, status >= 500 ? 1.0 : 0.8)));
    const referer =
      kind === 'css' || kind === 'js' || kind === 'image'
        ? `https://www.example.com/${SLUGS[r.int(SLUGS.length)]}`
        : r.next() < 0.6
          ? '-'
          : r.next() < 0.5
            ? `https://www.google.com/search?q=${WORDS[r.int(WORDS.length)]}`
            : 'https://www.example.com/';
    const client = this.clients.pick(r);
    return {
      client: client.address,
      user: this.users.pick(r),
      method,
      path,
      protocol: this.protocols.pick(r),
      status,
      size,
      durationUs,
      referer,
      userAgent: kind === 'probe' ? 'Mozilla/5.0 zgrab/0.x' : client.userAgent,
      vhost: r.next() < 0.8 ? 'www.example.com' : 'api.example.com',
      port: r.next() < 0.9 ? 443 : 80,
    };
  }

  private path(kind: Kind): string {
    const r = this.random;
    switch (kind) {
      case 'page':
        return r.next() < 0.3 ? '/' : `/blog/${2020 + r.int(7)}/${SLUGS[r.int(SLUGS.length)]}`;
      case 'css':
        return `/static/css/app.${HASHES[r.int(HASHES.length)]}.css`;
      case 'js':
        return `/static/js/${r.next() < 0.5 ? 'vendor' : 'main'}.${HASHES[r.int(HASHES.length)]}.js`;
      case 'image':
        return `/images/${r.next() < 0.5 ? 'products' : 'banners'}/${r.int(5000)}.${r.next() < 0.7 ? 'webp' : 'png'}`;
      case 'api':
        return r.next() < 0.5
          ? `/api/v1/users/${r.int(100_000)}`
          : `/api/v1/orders/${r.int(1_000_000)}/items?page=${1 + r.int(20)}&limit=50`;
      case 'search':
        return `/search?q=${WORDS[r.int(WORDS.length)]}&sort=${r.next() < 0.5 ? 'price' : 'relevance'}`;
      case 'probe':
        return PROBES[r.int(PROBES.length)] as string;
      case 'meta':
        return r.next() < 0.6 ? '/favicon.ico' : '/robots.txt';
    }
  }
}
