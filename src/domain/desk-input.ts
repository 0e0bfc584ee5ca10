// Apart from the desk, with no imports: the studio's contract, which the page's typecheck reads,
// derives its Book form from it (src/studio/contract.ts).

/** What the desk (`appointments book`, the studio's Book form) types for a booking. */
export interface DeskBookInput {
  doctor?: string;
  specialty?: string;
  at: string;
  name: string;
  phone: string;
  email: string;
  reason: string;
  idempotencyKey?: string;
}
