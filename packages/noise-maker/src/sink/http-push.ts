// The only HTTP writer: posts push bodies over a capped pool of keep-alive connections and says
// what the server answered (status, samples it refused, time taken).

import { Agent, request } from 'node:http';

export interface PushAnswer {
  status: number;
  /** Samples the server refused in an answered request (from its JSON answer). */
  rejected: number;
  ms: number;
}

export class HttpPusher {
  private readonly agent: Agent;
  private readonly url: URL;

  constructor(
    url: string,
    connections: number,
    private readonly apiKey: string | null,
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
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      'content-length': body.length,
    };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    return new Promise((resolve, reject) => {
      const req = request(this.url, { method: 'POST', agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let rejected = 0;
          try {
            const answer = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            rejected = Number(answer.rejected ?? answer.failed ?? (answer.success === false ? 1 : 0)) || 0;
          } catch {}
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
