import type { ToolHandler } from './context.js';
import { listDoctors } from './list-doctors.js';
import { checkAvailability } from './check-availability.js';
import { bookAppointment } from './book-appointment.js';
import { rescheduleAppointment } from './reschedule-appointment.js';
import { cancelAppointment } from './cancel-appointment.js';
import { getAcPurchaseDetails } from './get-ac-purchase-details.js';
import { getWarrantyInfo } from './get-warranty-info.js';
import { scheduleAcService } from './schedule-ac-service.js';
import { acTroubleshooting } from './ac-troubleshooting.js';

/** Tool handlers by Vapi `function.name` (templates/bot-config/tools.json defines the same names). */
export const toolHandlers: Record<string, ToolHandler> = {
  list_doctors: listDoctors,
  check_availability: checkAvailability,
  book_appointment: bookAppointment,
  reschedule_appointment: rescheduleAppointment,
  cancel_appointment: cancelAppointment,
  get_ac_purchase_details: getAcPurchaseDetails,
  get_warranty_info: getWarrantyInfo,
  schedule_ac_service: scheduleAcService,
  ac_troubleshooting: acTroubleshooting,
};

/**
 * Tools that change nothing but the access rule's failed-attempt count (idempotent per
 * `toolCallId`): their replies are not kept in the reply cache, because they hold patients' and
 * customers' data (names, serial numbers, prices) and a redelivery can simply be answered again.
 */
export const READ_ONLY_TOOLS: ReadonlySet<string> = new Set([
  'list_doctors',
  'get_ac_purchase_details',
  'get_warranty_info',
  'ac_troubleshooting',
]);

/**
 * Tools that find a caller or a patient by blind index (the caller's number, a phone or a name in
 * their arguments): only their calls have those indexes stretched ahead (`prepareIndexes` in
 * `server/messages.ts`, scrypt on the thread pool). The others never look anyone up.
 */
export const LOOKUP_TOOLS: ReadonlySet<string> = new Set([
  'book_appointment',
  'reschedule_appointment',
  'cancel_appointment',
  'get_ac_purchase_details',
  'get_warranty_info',
  'schedule_ac_service',
]);
