// Shared-memory layout between an ImageLoader and its worker thread. Both sides
// block with Atomics.wait, so the loader's next() stays synchronous and no event
// loop turn is needed for a batch to arrive.

/** Int32 control words. */
export const CTRL = {
  /** Requests posted by the loader (sequence count). */
  POSTED: 0,
  /** Requests completed by the worker. */
  DONE: 1,
  /** 1 = the worker must exit. */
  STOP: 2,
  /** 1 = the worker failed; the message is in the error area. */
  ERROR: 3,
  /** Length in bytes of the error message. */
  ERROR_LEN: 4,
  SIZE: 8,
} as const;

export const ERROR_BYTES = 4096;

/** Int32 words per plan slot: count, crop flag, pad, then 4 arrays of batchSize. */
export function planWords(batchSize: number): number {
  return 3 + 4 * batchSize;
}

export interface WorkerInit {
  images: SharedArrayBuffer;
  /** Byte offset and length of the images inside `images`. */
  imagesOffset: number;
  imagesLength: number;
  ctrl: SharedArrayBuffer;
  errors: SharedArrayBuffer;
  plans: SharedArrayBuffer;
  outs: SharedArrayBuffer;
  slots: number;
  batchSize: number;
  channels: number;
  height: number;
  width: number;
}
