import { DateTime } from 'luxon';
import type { AcPurchase } from '../../domain/clinic.js';
import { lookupCustomer } from './ac-common.js';
import type { ToolHandler } from './context.js';

/** `get_ac_purchase_details({ customerId, customerName? })` → what was bought, when, where, for how much; or "No result found". */
export const getAcPurchaseDetails: ToolHandler = async (args, ctx) => {
  const found = await lookupCustomer(args, ctx);
  if ('answer' in found) return found.answer;
  // The name is sealed at rest (serve cannot open it); the caller has just been checked against it.
  return `You bought ${found.purchases.map(describe).join('; and ')}.`;
};

function describe(p: AcPurchase): string {
  const day = (iso: string) => DateTime.fromISO(iso).toFormat('d MMMM yyyy');
  const price = new Intl.NumberFormat('en-IN').format(p.priceInr);
  const installed = p.installation ? `, installed on ${day(p.installation)}` : '';
  return `a ${p.model}, serial ${p.serialNumber}, on ${day(p.purchaseDate)} at our ${p.store} store for ${price} rupees${installed}`;
}
