import { createRequire } from 'node:module';
import { DateTime } from 'luxon';
import type { Notification } from '../domain/outbox.js';
import type { Channel } from './channel.js';

type RequestOptions<T> = import('twilio/lib/base/RequestClient.js').RequestOptions<T>;
type Twilio = typeof import('twilio');

/** The `twilio` package (CommonJS, ~15 MB once loaded), loaded when an SMS channel is made: never by a serve without one. */
const loadTwilio = () => createRequire(import.meta.url)('twilio') as Twilio;

/**
 * What the SMS channel needs: `TWILIO_ACCOUNT_SID`, `TWILIO_AUTH_TOKEN`, and a sender:
 * `TWILIO_FROM` (an E.164 number of the account) or `TWILIO_MESSAGING_SERVICE_SID`.
 */
export interface SmsSettings {
  accountSid: string;
  authToken: string;
  from?: string;
  messagingServiceSid?: string;
  /** Another API origin than https://api.twilio.com (a proxy; tests' stand-in). */
  baseUrl?: string;
  frontDesk?: string;
}

/** One SMS of a notification: short, the ID, no reason, no email. At most 2 segments. */
export function smsText(n: Notification, frontDesk?: string): string {
  const d = n.data;
  const call = frontDesk ? ` Call ${frontDesk} to change it.` : '';
  if (n.type === 'ac_visit.scheduled')
    return `${d.clinic}: a technician visits on ${DateTime.fromISO(d.date!).toFormat('ccc d LLL')} (${d.window}). Visit ID ${d.id}.${call}`;
  const when = DateTime.fromISO(d.start!, { zone: d.timeZone }).toFormat('ccc d LLL, h:mm a');
  if (n.type === 'appointment.cancelled')
    return `${d.clinic}: your appointment ${d.id} with ${d.doctor!.name} on ${when} is cancelled.`;
  const what = {
    'appointment.booked': 'booked',
    'appointment.rescheduled': 'moved to',
    'appointment.reminder': 'reminder:',
  }[n.type as string];
  return `${d.clinic}: ${what === 'reminder:' ? 'Reminder: ' : ''}${d.doctor!.name}${what === 'reminder:' ? '' : ` ${what}`} ${when}. ID ${d.id}.${call}`;
}

/**
 * The SMS channel: Twilio's Messages API through the `twilio` package, to the contact's E.164
 * number. Twilio has no idempotency key for Messages, so a crash between the send and its record
 * can repeat one SMS (at least once, as the other channels).
 */
export function smsChannel(settings: SmsSettings): Channel {
  const twilio = loadTwilio();
  const client = twilio(settings.accountSid, settings.authToken, {
    autoRetry: false,
    ...(settings.baseUrl ? { httpClient: rebasedClient(twilio, settings.baseUrl) } : {}),
  });
  return {
    name: 'sms',
    wants: (n) => Boolean(n.data.contact.phone),
    async send(n) {
      await client.messages.create({
        to: n.data.contact.phone!,
        body: smsText(n, settings.frontDesk),
        ...(settings.messagingServiceSid
          ? { messagingServiceSid: settings.messagingServiceSid }
          : { from: settings.from! }),
      });
    },
  };
}

/** Twilio's request client, sending to another origin than api.twilio.com. */
function rebasedClient(twilio: Twilio, base: string): InstanceType<Twilio['RequestClient']> {
  class RebasedClient extends twilio.RequestClient {
    override request<T>(opts: RequestOptions<T>) {
      const u = new URL(opts.uri);
      const b = new URL(base);
      u.protocol = b.protocol;
      u.host = b.host;
      return super.request<T>({ ...opts, uri: u.toString() });
    }
  }
  return new RebasedClient({ autoRetry: false });
}
