import type { Doc } from '../store/types.js';
import { DateTime } from 'luxon';
import type { AcPurchase, TroubleshootingGuide } from './clinic.js';

/** "cust 1001", "1001", "CUST-1001" → "CUST-1001". */
export function normaliseCustomerId(raw: string): string {
  const compact = raw.toUpperCase().replace(/[^A-Z0-9]/g, '');
  const digits = /^(?:CUST|CUSTOMER|C)?(\d+)$/.exec(compact);
  return digits ? `CUST-${digits[1]}` : raw.trim().toUpperCase();
}

export interface WarrantyStatus {
  /** End of the full warranty (clinic zone, end of day). */
  until: DateTime;
  compressorUntil: DateTime;
  isActive: boolean;
  isCompressorActive: boolean;
}

/** Warranty of one unit on `today` (both counted from the purchase date). */
export function warrantyOf(p: AcPurchase, today: DateTime): WarrantyStatus {
  const bought = DateTime.fromISO(p.purchaseDate, { zone: today.zone });
  const until = bought.plus({ months: p.warrantyMonths });
  const compressorUntil = bought.plus({ months: p.compressorWarrantyMonths });
  return { until, compressorUntil, isActive: today < until, isCompressorActive: today < compressorUntil };
}

/** The guide whose keywords best match the caller's words, if any. */
export function findGuide(guides: TroubleshootingGuide[], symptom: string): TroubleshootingGuide | undefined {
  const text = ` ${symptom
    .toLowerCase()
    .replace(/[^a-z0-9 ]/g, ' ')
    .replace(/\s+/g, ' ')} `;
  let best: { guide: TroubleshootingGuide; score: number } | undefined;
  for (const guide of guides) {
    const score = guide.keywords.reduce(
      (n, k) => (text.includes(` ${k} `) || text.includes(` ${k}`) ? n + k.length : n),
      0,
    );
    if (score > 0 && (!best || score > best.score)) best = { guide, score };
  }
  return best?.guide;
}

/** An AC technician's visit, booked by `schedule_ac_service` (collection `ac_service_visits`). */
export interface ServiceVisit extends Doc {
  visitId: string;
  customerId: string;
  serialNumber: string;
  /** ISO date (clinic zone) of the visit. */
  date: string;
  window: string;
  /** Sealed at rest (admin key). */
  issue: string;
  isInWarranty: boolean;
  status: 'scheduled';
  sourceKey: string;
  createdAt: string;
}
