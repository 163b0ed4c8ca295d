// A thread of ParallelLines: renders the blocks it is asked for and hands their buffers over.

import { parentPort, workerData } from 'node:worker_threads';
import { LineSource, type LineSourceOptions } from './line-source.js';

const source = new LineSource(workerData as LineSourceOptions);
const port = parentPort as NonNullable<typeof parentPort>;
port.on('message', (block: number) => {
  const rendered = source.block(block, Date.now());
  port.postMessage(rendered, [rendered.bytes.buffer, rendered.ends.buffer, rendered.malformed.buffer] as ArrayBuffer[]);
});
