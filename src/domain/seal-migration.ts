import { isSealed, type SealContext } from '../crypto/seal.js';
import type { Store } from '../store/types.js';
import { SEALED_CALL_LOG_FIELDS } from '../store/types.js';
import { callLogContext, sealCallLog } from './call-records.js';
import { openField } from './sealer.js';
import type { Unlocked } from './keyring.js';
import { blindIndex, blindNameIndex } from '../crypto/blind-index.js';
import {
  SEALED_APPOINTMENT_FIELDS,
  sealAppointmentFields,
  sealCustomerFields,
  type Appointment,
} from './appointments.js';
import type { Customer } from './clinic.js';
import type { FieldSealer } from './sealer.js';

export interface SealMigrationResult {
  callLogs: number;
  appointments: number;
  customers: number;
}

/**
 * Seals, in place, every sensitive value still stored in plaintext (records written before
 * the keys existed, or sample data seeded before them). Idempotent: sealed values are left
 * as they are, so a second run changes nothing. Nothing is deleted.
 * @throws StoreUnavailableError
 */
export async function sealExistingData(store: Store, sealer: FieldSealer): Promise<SealMigrationResult> {
  const callLogs = await store.callLogs.rewrite((r) =>
    SEALED_CALL_LOG_FIELDS.some((f) => r[f] && !isSealed(r[f])) ? sealCallLog(r, sealer) : r,
  );

  let appointments = 0;
  const appts = store.collection('appointments');
  for (const a of await appts.find({})) {
    const unindexedName = !a.nameIndex && typeof a.patientName === 'string' && !isSealed(a.patientName);
    if (!unindexedName && !SEALED_APPOINTMENT_FIELDS.some((f) => typeof a[f] === 'string' && a[f] && !isSealed(a[f])))
      continue;
    const picked: Partial<Appointment> = Object.fromEntries(
      SEALED_APPOINTMENT_FIELDS.filter((f) => typeof a[f] === 'string' && !isSealed(a[f])).map((f) => [f, a[f]]),
    );
    if (unindexedName) picked.patientName = a.patientName;
    await appts.updateOne({ _id: a._id }, { $set: sealAppointmentFields(picked, a.rootId ?? a.appointmentId, sealer) });
    appointments++;
  }

  let customers = 0;
  const custs = store.collection('customers');
  for (const c of await custs.find({})) {
    const unindexedName = !c.nameIndex && typeof c.name === 'string' && !isSealed(c.name);
    if (!unindexedName && ![c.phone, c.email, c.name].some((v) => typeof v === 'string' && v && !isSealed(v))) continue;
    const picked: Partial<Customer> = {};
    if (typeof c.phone === 'string' && !isSealed(c.phone)) picked.phone = c.phone;
    if (typeof c.email === 'string' && !isSealed(c.email)) picked.email = c.email;
    if (typeof c.name === 'string' && !isSealed(c.name)) picked.name = c.name;
    await custs.updateOne({ _id: c._id }, { $set: sealCustomerFields(picked, c._id, sealer) });
    customers++;
  }
  // The old plaintext versions must not linger in the datafiles.
  if (appointments) await appts.compact();
  if (customers) await custs.compact();
  return { callLogs, appointments, customers };
}

/**
 * Recomputes every phone and name blind index under `blindKey`, opening the sealed numbers with an
 * admin's keys (after the index key was lost or replaced). Returns how many records changed.
 * @throws SealError when a sealed number does not open (tampered or another key)
 */
export async function reindexPhones(store: Store, admin: Unlocked, blindKey: Buffer): Promise<SealMigrationResult> {
  const index = (e164: string) => blindIndex(blindKey, e164);
  const callLogs = await store.callLogs.rewrite((r) => {
    if (!r.customerNumber) return r;
    const number = openField(r.customerNumber, callLogContext(r.callId, 'customerNumber'), admin.dataKeys);
    return { ...r, customerIndex: index(number) };
  });
  let appointments = 0;
  const appts = store.collection('appointments');
  // Names are sealed (to the receptionist key, which admins hold too): opened like the numbers.
  const nameIndexOf = (name: unknown, ctx: SealContext) =>
    typeof name === 'string' && name ? blindNameIndex(blindKey, openField(name, ctx, admin.dataKeys)) : undefined;
  for (const a of await appts.find({})) {
    const set: Partial<Appointment> = {};
    if (typeof a.phone === 'string') {
      const rootId = a.rootId ?? a.appointmentId;
      const number = openField(
        a.phone,
        { collection: 'appointments', recordId: rootId, field: 'phone' },
        admin.dataKeys,
      );
      if (a.phoneIndex !== index(number)) set.phoneIndex = index(number);
    }
    const nameIndex = nameIndexOf(a.patientName, {
      collection: 'appointments',
      recordId: a.rootId ?? a.appointmentId,
      field: 'patientName',
    });
    if (nameIndex && a.nameIndex !== nameIndex) set.nameIndex = nameIndex;
    if (!Object.keys(set).length) continue;
    await appts.updateOne({ _id: a._id }, { $set: set });
    appointments++;
  }
  let customers = 0;
  const custs = store.collection('customers');
  for (const c of await custs.find({})) {
    const set: Partial<Customer> = {};
    if (typeof c.phone === 'string') {
      const number = openField(c.phone, { collection: 'customers', recordId: c._id, field: 'phone' }, admin.dataKeys);
      if (c.phoneIndex !== index(number)) set.phoneIndex = index(number);
    }
    const nameIndex = nameIndexOf(c.name, { collection: 'customers', recordId: c._id, field: 'name' });
    if (nameIndex && c.nameIndex !== nameIndex) set.nameIndex = nameIndex;
    if (!Object.keys(set).length) continue;
    await custs.updateOne({ _id: c._id }, { $set: set });
    customers++;
  }
  return { callLogs, appointments, customers };
}
