import type { AcPurchase, Customer } from '../../domain/clinic.js';
import { normaliseCustomerId } from '../../domain/ac-support.js';
import { requireString, type ToolContext } from './context.js';
import { verifyCaller } from './verify-caller.js';

/**
 * The customer and their units for a spoken customer ID, under the access rule (the caller's
 * number is the customer's, or `customerName` is the name on the account), or what the caller
 * hears instead. An unknown ID is answered like a known one until the second factor is checked.
 */
export async function lookupCustomer(
  args: Record<string, unknown>,
  ctx: ToolContext,
): Promise<{ customer: Customer | null; purchases: AcPurchase[]; customerId: string } | { answer: string }> {
  const customerId = normaliseCustomerId(requireString(args, 'customerId', 'the customer ID on their invoice'));
  const customer = await ctx.store.collection('customers').findOne({ customerId });
  const purchases = customer
    ? await ctx.store.collection('ac_purchases').find({ customerId }, { sort: { purchaseDate: -1 } })
    : [];
  const owner = customer && purchases.length ? customer : null;
  const access = await verifyCaller(ctx, owner, args, { kind: 'account', spoken: customerId });
  if ('answer' in access) return access;
  return { customer, purchases, customerId };
}

/** The unit a serial number names, the only unit, or a question when there are several. */
export function pickUnit(
  purchases: AcPurchase[],
  serial: string | undefined,
): { unit: AcPurchase } | { answer: string } {
  if (serial) {
    const want = serial.toUpperCase().replace(/[^A-Z0-9]/g, '');
    const found = purchases.find((p) => p.serialNumber.replace(/[^A-Z0-9]/g, '').endsWith(want));
    return found
      ? { unit: found }
      : {
          answer: `I couldn't find serial number ${serial} for this customer. The units on file are ${purchases.map((p) => `${p.model}, serial ${p.serialNumber}`).join('; ')}.`,
        };
  }
  if (purchases.length === 1) return { unit: purchases[0]! };
  return {
    answer: `You have ${purchases.length} units with us: ${purchases.map((p) => `${p.model}, serial ${p.serialNumber}`).join('; ')}. Which one is it about?`,
  };
}
