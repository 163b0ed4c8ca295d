// What a worker hands back with buffers it was given: the buffers are moved (transferred), not
// copied, so the main thread gets them back for reuse. Used by the parse and push decode threads.

import { move, transferableSymbol, valueSymbol } from 'piscina';

export function movedBack<T>(value: T, buffers: ArrayBuffer[]): unknown {
  return move({
    get [transferableSymbol]() {
      return buffers;
    },
    get [valueSymbol]() {
      return value;
    },
  } as never);
}
