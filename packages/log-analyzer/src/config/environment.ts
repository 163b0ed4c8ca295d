// The environment names existing clients use for a flag (the queue senders' Redis__…, METRICS_CONFIG,
// …; see the aliases in settings.ts), as the LOG_ANALYZER_<FLAG> names the command line reads. Pure.

import { envName, TABLE } from './settings.js';

/**
 * What to add to the environment so the command line reads the clients' names as its own; ours
 * win when both are set, then the first alias set (in the table's order), and a name whose text
 * says nothing (empty, or `read` declines it) is left out.
 */
export function senderEnvironment(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const setting of TABLE) {
    const ours = envName(setting);
    for (const alias of setting.aliases ?? []) {
      const text = env[alias.name];
      if (alias.as !== 'flag' || text === undefined || text === '' || env[ours] !== undefined) continue;
      if (out[ours] !== undefined) continue;
      const value = alias.read ? alias.read(text) : text;
      if (value !== undefined && value !== '') out[ours] = value;
    }
  }
  return out;
}
