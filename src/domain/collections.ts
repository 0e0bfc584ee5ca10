import type { Appointment } from './appointments.js';
import type { AcPurchase, BotConfig, Customer, Doctor, Holiday, TroubleshootingGuide } from './clinic.js';
import type { ServiceVisit } from './ac-support.js';
import type { CallStatus } from './call-records.js';
import type { FailureDoc } from './access.js';
import type { KeyDoc, UserDoc } from './keyring.js';
import type { OutboxEntry } from './outbox.js';
import type { StoredReply, WebhookEndpoint } from './records.js';

// The record type of each of the store's collections, for `store.collection(name)`: the store
// declares the map empty (src/store/types.ts) and the domain, which owns the records, fills it in.

declare module '../store/types.js' {
  interface CollectionTypes {
    bot_configs: BotConfig;
    doctors: Doctor;
    customers: Customer;
    appointments: Appointment;
    ac_purchases: AcPurchase;
    ac_service_visits: ServiceVisit;
    troubleshooting_guides: TroubleshootingGuide;
    call_status: CallStatus;
    replies: StoredReply;
    keys: KeyDoc;
    users: UserDoc;
    access_failures: FailureDoc;
    holidays: Holiday;
    outbox: OutboxEntry;
    webhooks: WebhookEndpoint;
  }
}
