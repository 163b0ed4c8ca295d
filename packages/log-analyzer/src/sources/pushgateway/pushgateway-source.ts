// The Pushgateway-compatible source: owns the groups (transforms/pushgateway/groups.ts), their
// HTTP edge (PUT/POST/DELETE /metrics/job/… in text or delimited protobuf, /add/metrics/job/…
// additive, GET /api/v1/metrics, /-/healthy, /-/ready), their expiry (--pushgateway-ttl) and their place in the checkpoint.
// Groups are not store families: their values are replaced by each push, so they are kept whole
// as this source's checkpoint position and served beside the store. With a checkpoint file and
// durable acknowledgements, a push is answered once a checkpoint holding it is written, and
// /metrics serves the groups of the last durable checkpoint (what it serves survives kill -9).

import { type Context, type Env, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { RejectReason } from '../../metrics/catalog.js';
import type { Checkpointed } from '../../store/checkpointer.js';
import { type GroupingKey, groupingKeyFromPath } from '../../transforms/pushgateway/grouping-key.js';
import {
  applyPush,
  expireGroups,
  exposedNames,
  type Groups,
  removeGroup,
} from '../../transforms/pushgateway/groups.js';
import { isDelimitedProtobuf, parseDelimitedProtobuf } from '../../transforms/pushgateway/protobuf.js';
import { apiMetrics, groupsText } from '../../transforms/pushgateway/render.js';
import { decodeSavedGroups, type SavedGroups, savedGroups } from '../../transforms/pushgateway/saved.js';
import { parseTextFormat } from '../../transforms/pushgateway/text-format.js';
import { ApiKeys, tenantScope } from '../push/api-keys.js';

export interface PushgatewayOptions {
  maxBodyBytes: number;
  /** The push API keys of now (null: none needed). */
  keys(): ApiKeys | null;
  /** Groups not changed for this long are dropped; null: never. */
  ttlMs: number | null;
  /** Whether an answer waits for a checkpoint holding the change (a checkpoint file and ack=durable). */
  durable: boolean;
  /** Takes a checkpoint (coalesced); resolves once written or failed. */
  checkpoint(): Promise<void>;
  /** A family name the analyzer exposes itself (a push may not take it). */
  taken(name: string): boolean;
  restored: SavedGroups | null;
  onRefused(reason: RejectReason, n: number): void;
  onAnswered(status: number): void;
  now?: () => number;
}

/** Reads this source's saved position back (null: none, or not one this source wrote). */
export function restorePushgatewayPosition(saved: unknown): SavedGroups | null {
  return decodeSavedGroups(saved);
}

export class PushgatewaySource implements Checkpointed<SavedGroups> {
  readonly name = 'pushgateway';
  readonly restored: SavedGroups | null;
  private live: Groups;
  /** What /metrics and the API serve: the groups of the last durable checkpoint (or live ones). */
  private served: Groups;
  private version = 0;
  private durableVersion = 0;
  /** position() → the groups and version it holds, for durable(). */
  private readonly taken = new WeakMap<SavedGroups, { groups: Groups; version: number }>();
  private last: { version: number; saved: SavedGroups } | null = null;
  /** exposedNames of the live groups, as of a version. */
  private names: { version: number; names: Set<string> } | null = null;
  private readonly timer: NodeJS.Timeout | null;
  private readonly now: () => number;

  constructor(private readonly options: PushgatewayOptions) {
    this.restored = options.restored;
    this.live = options.restored ? savedGroups.toGroups(options.restored) : new Map();
    this.served = this.live;
    this.now = options.now ?? Date.now;
    const ttl = options.ttlMs;
    this.timer = ttl === null ? null : setInterval(() => this.expire(), Math.min(10_000, Math.max(100, ttl / 4)));
    this.timer?.unref();
  }

  /** Whether a group exposes this name (a family, its `_bucket`/`_sum`/`_count`, the push times). */
  exposes(name: string): boolean {
    if (this.names?.version !== this.version) this.names = { version: this.version, names: exposedNames(this.live) };
    return this.names.names.has(name);
  }

  /** Drops the groups past the TTL (on a timer; tests call it). */
  expire(): void {
    if (this.options.ttlMs === null) return;
    const next = expireGroups(this.live, this.now(), this.options.ttlMs);
    if (next !== this.live) this.change(next);
    if (!this.options.durable) this.served = this.live;
  }

  private change(next: Groups): number {
    this.live = next;
    this.version++;
    if (!this.options.durable) this.served = next;
    return this.version;
  }

  position(): SavedGroups {
    if (this.last?.version !== this.version) {
      const saved = savedGroups.fromGroups(this.live);
      this.last = { version: this.version, saved };
      this.taken.set(saved, { groups: this.live, version: this.version });
    }
    return this.last.saved;
  }

  get positionVersion(): number {
    return this.version;
  }

  durable(newest: SavedGroups): void {
    const held = this.taken.get(newest);
    if (!held || held.version < this.durableVersion) return;
    this.durableVersion = held.version;
    this.served = held.groups;
  }

  /** The groups as Prometheus text, for /metrics. */
  exposition(): string {
    return groupsText(this.served);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** After a change: waits for a checkpoint holding it when acknowledgements are durable. */
  private async settle(version: number): Promise<string | null> {
    if (!this.options.durable) return null;
    await this.options.checkpoint();
    return this.durableVersion >= version
      ? null
      : 'the change is applied but no checkpoint holding it could be written yet';
  }

  routes<E extends Env>(): Hono<E> {
    const app = new Hono<E>();
    const { maxBodyBytes } = this.options;
    const limit = bodyLimit({
      maxSize: maxBodyBytes,
      onError: (c) => {
        this.options.onRefused('body_too_large', 1);
        return c.text(`the body is larger than ${maxBodyBytes} bytes\n`, 413);
      },
    });
    app.use('*', async (c, next) => {
      await next();
      if (c.req.method !== 'GET') this.options.onAnswered(c.res.status);
    });
    for (const prefix of ['', '/add']) {
      const additive = prefix === '/add';
      for (const path of [`${prefix}/metrics/job/*`, `${prefix}/metrics/job@base64/*`]) {
        app.put(path, limit, (c) => this.push(c, true, additive));
        app.post(path, limit, (c) => this.push(c, false, additive));
        app.delete(path, (c) => this.remove(c));
      }
    }
    app.get('/api/v1/metrics', (c) => c.json(apiMetrics(this.served)));
    app.get('/-/healthy', (c) => c.text('OK\n'));
    app.get('/-/ready', (c) => c.text('OK\n'));
    return app;
  }

  /** The grouping key of a request (with its key's tenant), or the answer refusing it. */
  private keyOf(c: Context): GroupingKey | Response {
    const keys = this.options.keys();
    let tenant: string | null = null;
    if (keys) {
      const match = keys.check(ApiKeys.presented(c.req.header('authorization'), c.req.header('x-api-key')));
      if (!match) {
        c.header('WWW-Authenticate', 'Bearer');
        return c.text('a valid API key is needed (Authorization: Bearer KEY)\n', 401);
      }
      tenant = tenantScope(match) || null;
    }
    const raw = new URL(c.req.url).pathname;
    const rest = raw.slice(raw.indexOf('/metrics/job') + '/metrics/job'.length);
    const key = groupingKeyFromPath(rest);
    if ('error' in key) {
      this.options.onRefused('invalid_body', 1);
      return c.text(`${key.error}\n`, 400);
    }
    if (tenant !== null) {
      // A tenant's key pushes into its own groups only: tenant_id is part of every grouping key.
      if (key.tenant_id !== undefined && key.tenant_id !== tenant) {
        this.options.onRefused('invalid_body', 1);
        return c.text(`this key pushes for tenant ${tenant}, not ${key.tenant_id}\n`, 403);
      }
      key.tenant_id = tenant;
    }
    return key;
  }

  private async push(c: Context, replace: boolean, additive: boolean): Promise<Response> {
    const key = this.keyOf(c);
    if (key instanceof Response) return key;
    // As pushgateway: the delimited protobuf stream when the type names it exactly, else text.
    const parsed = isDelimitedProtobuf(c.req.header('content-type'))
      ? parseDelimitedProtobuf(new Uint8Array(await c.req.arrayBuffer()))
      : parseTextFormat(await c.req.text());
    if ('error' in parsed) {
      this.options.onRefused('invalid_body', 1);
      return c.text(`${parsed.error}\n`, 400);
    }
    const applied = applyPush(
      this.live,
      { key, families: parsed.families, replace, additive, timestamps: parsed.timestamps, at: this.now() },
      this.options.taken,
    );
    const version = this.change(applied.groups);
    const unsettled = await this.settle(version);
    if (applied.error !== undefined) {
      this.options.onRefused('invalid_body', 1);
      return c.text(`${applied.error}\n`, 400);
    }
    return unsettled ? c.text(`${unsettled}\n`, 500) : c.body(null, 200);
  }

  private async remove(c: Context): Promise<Response> {
    const key = this.keyOf(c);
    if (key instanceof Response) return key;
    const next = removeGroup(this.live, key);
    if (next === this.live) return c.body(null, 202);
    const unsettled = await this.settle(this.change(next));
    return unsettled ? c.text(`${unsettled}\n`, 500) : c.body(null, 202);
  }
}
