// The only HTTP writer: posts push bodies over a capped pool of keep-alive connections and says
// what the server answered (status, samples it refused, time taken).

import { Agent, request } from 'node:http';

export interface PushAnswer {
  status: number;
  /** Samples the server refused in an answered request (from its JSON answer). */
  rejected: number;
  ms: number;
}

/** How a protocol's requests are sent: method and headers beyond content-length and the key. */
export interface RequestShape {
  method: string;
  headers: Record<string, string>;
}

export const JSON_REQUEST: RequestShape = { method: 'POST', headers: { 'content-type': 'application/json' } };

/** Pure: the samples an answer's body says were refused (JSON pushes' `rejected`/`failed`, OTLP's partial success). */
export function rejectedIn(text: string): number {
  try {
    const answer = JSON.parse(text);
    return (
      Number(
        answer.rejected ??
          answer.failed ??
          answer.partialSuccess?.rejectedDataPoints ??
          (answer.success === false ? 1 : 0),
      ) || 0
    );
  } catch {
    return 0;
  }
}

export class HttpPusher {
  private readonly agent: Agent;
  private readonly url: URL;

  constructor(
    url: string,
    connections: number,
    private readonly apiKey: string | null,
    private readonly shape: RequestShape = JSON_REQUEST,
  ) {
    try {
      this.url = new URL(url);
    } catch {
      throw new Error(`--url is not a URL: ${url}`);
    }
    if (this.url.protocol !== 'http:') throw new Error(`--url must be an http:// URL, not ${this.url.protocol}`);
    this.agent = new Agent({ keepAlive: true, maxSockets: connections });
  }

  send(body: Buffer): Promise<PushAnswer> {
    const started = performance.now();
    const headers: Record<string, string | number> = { ...this.shape.headers, 'content-length': body.length };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    return new Promise((resolve, reject) => {
      const req = request(this.url, { method: this.shape.method, agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const rejected = rejectedIn(Buffer.concat(chunks).toString('utf8'));
          resolve({ status: res.statusCode ?? 0, rejected, ms: performance.now() - started });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
