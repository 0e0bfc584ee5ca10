import type { AcPurchase, Customer } from '../../domain/clinic.js';
import { normaliseCustomerId } from '../../domain/ac-support.js';
import { requireString, type ToolContext } from './context.js';

/** The customer and their units for a spoken customer ID, or the spoken "no result found". */
export async function lookupCustomer(
  args: Record<string, unknown>,
  ctx: ToolContext,
): Promise<{ customer: Customer | null; purchases: AcPurchase[]; customerId: string } | { answer: string }> {
  const customerId = normaliseCustomerId(requireString(args, 'customerId', 'the customer ID on their invoice'));
  const purchases = await ctx.store
    .collection<AcPurchase>('ac_purchases')
    .find({ customerId }, { sort: { purchaseDate: -1 } });
  if (!purchases.length)
    return {
      answer: `No result found for customer ID ${customerId}. Could you check the ID on your invoice and read it again?`,
    };
  const customer = await ctx.store.collection<Customer>('customers').findOne({ customerId });
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
