// What every push endpoint does before it reads a body: count each answer's status, and find the
// presented API key's tenant. Small helpers so each protocol's routes say only what is theirs
// (otlp-routes.ts uses them; routes.ts and remote-write-routes.ts hold the same steps inline).

import type { Context, Env, Hono } from 'hono';
import type { TenantScope } from '../../transforms/push/decode.js';
import { ApiKeys, tenantScope } from './api-keys.js';

/** Calls onAnswered with the status of every POST to `path`, once answered. */
export function countAnswers<E extends Env>(app: Hono<E>, path: string, onAnswered: (status: number) => void): void {
  app.use(path, async (c, next) => {
    await next();
    if (c.req.method === 'POST') onAnswered(c.res.status);
  });
}

/** The tenant a request writes as: null without keys, undefined when no valid key was presented. */
export function presentedTenant(c: Context, keys: ApiKeys | null): TenantScope | undefined {
  if (!keys) return null;
  const match = keys.check(ApiKeys.presented(c.req.header('authorization'), c.req.header('x-api-key')));
  return match ? tenantScope(match) : undefined;
}
