import { FrontDesk } from '../../domain/front-desk.js';
import { requireBotConfig } from '../../domain/clinic.js';
import { writeOnlySealer } from '../../domain/sealing-keys.js';
import type { Context } from './context.js';
import { deskActor } from './front-desk.js';

/** The front desk of this context's store, clinic and clock, as its user; writes seal to the public keys. */
export async function frontDesk(ctx: Context): Promise<FrontDesk> {
  const store = await ctx.store();
  const config = await requireBotConfig(store);
  return new FrontDesk(store, config.clinic, ctx.now, await writeOnlySealer(store, ctx), deskActor(ctx));
}
