// Validates Apache's %t layout (and nginx's $time_local, the same without brackets) without
// building a Date: this runs once per line. Example: [10/Oct/2000:13:55:36 -0700]

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH_CODES = MONTHS.map((m) => (m.charCodeAt(0) << 16) | (m.charCodeAt(1) << 8) | m.charCodeAt(2));
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Length of `[dd/Mon/yyyy:HH:MM:SS ±hhmm]`, brackets included. */
export const TIMESTAMP_LENGTH = 28;

function digits2(buf: Uint8Array, at: number): number {
  const a = (buf[at] as number) - 48;
  const b = (buf[at + 1] as number) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** Length of nginx's $time_local, `dd/Mon/yyyy:HH:MM:SS ±hhmm`: Apache's %t without its brackets. */
export const LOCAL_TIME_LENGTH = 26;

/** True when buf[at, at + 28) is a well-formed, calendar-valid Apache timestamp. */
export function isValidTimestamp(buf: Uint8Array, at: number, end: number): boolean {
  if (end - at < TIMESTAMP_LENGTH) return false;
  if (buf[at] !== 0x5b || buf[at + 27] !== 0x5d) return false; // [ ]
  return isValidLocalTime(buf, at + 1, end);
}

/** True when buf[at, at + 26) is a well-formed, calendar-valid `10/Oct/2000:13:55:36 -0700`. */
export function isValidLocalTime(buf: Uint8Array, at: number, end: number): boolean {
  if (end - at < LOCAL_TIME_LENGTH) return false;
  if (buf[at + 2] !== 0x2f || buf[at + 6] !== 0x2f) return false; // / /
  if (buf[at + 11] !== 0x3a || buf[at + 14] !== 0x3a || buf[at + 17] !== 0x3a) return false; // : : :
  if (buf[at + 20] !== 0x20) return false;
  const sign = buf[at + 21];
  if (sign !== 0x2b && sign !== 0x2d) return false; // + -

  const code = ((buf[at + 3] as number) << 16) | ((buf[at + 4] as number) << 8) | (buf[at + 5] as number);
  const month = MONTH_CODES.indexOf(code);
  if (month < 0) return false;
  const century = digits2(buf, at + 7);
  const yy = digits2(buf, at + 9);
  if (century < 0 || yy < 0) return false;
  const year = century * 100 + yy;
  const day = digits2(buf, at);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const maxDay = month === 1 && !leap ? 28 : (DAYS_IN_MONTH[month] as number);
  if (day < 1 || day > maxDay) return false;

  const hour = digits2(buf, at + 12);
  const minute = digits2(buf, at + 15);
  const second = digits2(buf, at + 18); // 60 allows a leap second
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) return false;
  const tzHours = digits2(buf, at + 22);
  const tzMinutes = digits2(buf, at + 24);
  return tzHours >= 0 && tzHours <= 14 && tzMinutes >= 0 && tzMinutes <= 59;
}
