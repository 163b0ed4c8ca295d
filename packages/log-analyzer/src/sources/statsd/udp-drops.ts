// What the kernel dropped on one UDP socket of this process (its receive buffer full): Linux keeps
// it per socket in the last column of /proc/net/udp and /proc/net/udp6, found by the socket's
// inode. Elsewhere there is no such file and the count stays null.
//
//   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
//  3188: 0100007F:D45D 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1387619 2 00000000c764cfe1 0

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const TABLES = ['/proc/net/udp', '/proc/net/udp6'];

/** Pure: the inodes of the table's sockets bound to `port`. */
export function inodesAtPort(table: string, port: number): string[] {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const found: string[] = [];
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[1]?.endsWith(hex) && fields[9] !== undefined) found.push(fields[9]);
  }
  return found;
}

/** Pure: the drops column of the socket with this inode, or null when the table lacks it. */
export function dropsOf(table: string, inode: string): number | null {
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[9] === inode && fields.length >= 13) {
      const drops = Number(fields[12]);
      return Number.isSafeInteger(drops) ? drops : null;
    }
  }
  return null;
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** This process's socket inodes (read once, at bind: a scan of every descriptor is not for each scrape). */
function ownSocketInodes(): Set<string> {
  const inodes = new Set<string>();
  let fds: string[];
  try {
    fds = readdirSync('/proc/self/fd');
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m?.[1]) inodes.add(m[1]);
    } catch {
      // Closed meanwhile.
    }
  }
  return inodes;
}

/**
 * The drops counter of this process's UDP socket bound to `port`: a function that reads it now
 * (null where /proc/net/udp is not, or the socket is not found).
 */
export function udpDropsReader(port: number): () => number | null {
  const own = ownSocketInodes();
  const inode = TABLES.flatMap((t) => inodesAtPort(read(t), port)).find((i) => own.has(i));
  if (inode === undefined) return () => null;
  return () => {
    for (const table of TABLES) {
      const drops = dropsOf(read(table), inode);
      if (drops !== null) return drops;
    }
    return null;
  };
}
