import { warrantyOf } from '../../domain/ac-support.js';
import { lookupCustomer, pickUnit } from './ac-common.js';
import { nowInClinic, optionalString, type ToolHandler } from './context.js';

/** `get_warranty_info({ customerId, serialNumber? })` → whether the unit and its compressor are covered, and until when. */
export const getWarrantyInfo: ToolHandler = async (args, ctx) => {
  const found = await lookupCustomer(args, ctx);
  if ('answer' in found) return found.answer;
  const picked = pickUnit(found.purchases, optionalString(args, 'serialNumber'));
  if ('answer' in picked) return picked.answer;
  const { unit } = picked;
  const w = warrantyOf(unit, nowInClinic(ctx));
  const day = (d: typeof w.until) => d.toFormat('d MMMM yyyy');
  const full = w.isActive
    ? `is under full warranty until ${day(w.until)}`
    : `was under full warranty until ${day(w.until)}, which has ended`;
  const compressor = w.isCompressorActive
    ? `the compressor is covered until ${day(w.compressorUntil)}`
    : `the compressor warranty ended on ${day(w.compressorUntil)}`;
  return `Your ${unit.model}, serial ${unit.serialNumber}, ${full}; ${compressor}.`;
};
