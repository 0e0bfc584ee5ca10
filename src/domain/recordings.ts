import type { SealContext } from '../crypto/seal.js';

/** Where a recorded message body is sealed: bound to its call, time and arrival number. */
export function recordingContext(callId: string, at: string, seq: number): SealContext {
  return { collection: 'recordings', recordId: `${callId}|${at}|${seq}`, field: 'body' };
}
