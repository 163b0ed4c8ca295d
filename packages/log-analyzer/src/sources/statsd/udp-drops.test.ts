import { describe, expect, it } from 'vitest';
import { dropsOf, inodesAtPort } from './udp-drops.js';

const TABLE = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
 3188: 0100007F:D45D 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1387619 2 00000000c764cfe1 0
 3189: 00000000:23A5 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 2222 2 00000000c764cfe2 17
 3190: 0100007F:23A5 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 3333 2 00000000c764cfe3 5
`;
const V6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  100: 00000000000000000000000000000000:23A5 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4444 2 0000000000000000 9
`;

describe('inodesAtPort', () => {
  const rows = [
    { name: 'one socket', given: { table: TABLE, port: 54365 }, want: ['1387619'] },
    { name: 'two sockets on one port (other addresses)', given: { table: TABLE, port: 9125 }, want: ['2222', '3333'] },
    { name: 'IPv6', given: { table: V6, port: 9125 }, want: ['4444'] },
    { name: 'none', given: { table: TABLE, port: 1 }, want: [] },
    { name: 'no table (not Linux)', given: { table: '', port: 9125 }, want: [] },
  ];
  it.each(rows)('$name', ({ given, want }) => {
    expect(inodesAtPort(given.table, given.port)).toEqual(want);
  });
});

describe('dropsOf', () => {
  const rows = [
    { name: 'the drops column', given: { table: TABLE, inode: '2222' }, want: 17 },
    { name: 'zero', given: { table: TABLE, inode: '1387619' }, want: 0 },
    { name: 'IPv6', given: { table: V6, inode: '4444' }, want: 9 },
    { name: 'gone', given: { table: TABLE, inode: '9' }, want: null },
  ];
  it.each(rows)('$name', ({ given, want }) => {
    expect(dropsOf(given.table, given.inode)).toBe(want);
  });
});
