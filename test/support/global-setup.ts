import { writePrecompiled } from './vapi-spec.js';

/**
 * Once per `vitest run`, before any test file: Vapi's spec compiled into the validators the fake
 * Vapi uses (`test/support/vapi-spec.ts`), so no test's clock runs while ajv compiles.
 */
export default function setup(): void {
  writePrecompiled();
}
