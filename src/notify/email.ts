import { DateTime } from 'luxon';
import { createRequire } from 'node:module';
import type { Transporter } from 'nodemailer';
import type { Notification } from '../domain/outbox.js';
import type { Channel } from './channel.js';
import { appointmentIcs } from './calendar.js';
import { spellOut } from '../domain/ids.js';

/** What the email channel needs: `SMTP_URL` (`smtp://user:pass@host:587`, `smtps://…:465`) and `SMTP_FROM`. */
export interface EmailSettings {
  url: string;
  from: string;
  /** The clinic's front desk (E.164), for the cancel and move instructions. */
  frontDesk?: string;
}

const WHAT: Record<string, string> = {
  'appointment.booked': 'Your appointment is booked',
  'appointment.rescheduled': 'Your appointment has moved',
  'appointment.cancelled': 'Your appointment is cancelled',
  'appointment.reminder': 'Reminder: your appointment',
};

/** Subject, plain text and HTML of one appointment email (no reason, nothing but what the patient gave). */
export function appointmentEmail(n: Notification, frontDesk?: string): { subject: string; text: string; html: string } {
  const d = n.data;
  const when = DateTime.fromISO(d.start!, { zone: d.timeZone }).toFormat("cccc d LLLL yyyy 'at' h:mm a");
  const before = d.previousStart
    ? DateTime.fromISO(d.previousStart, { zone: d.timeZone }).toFormat("cccc d LLLL 'at' h:mm a")
    : undefined;
  const lead = WHAT[n.type] ?? 'Your appointment';
  const lines = [
    `${d.contact.name ? `Dear ${d.contact.name},` : 'Hello,'}`,
    '',
    n.type === 'appointment.cancelled'
      ? `Your appointment with ${d.doctor!.name} on ${when} is cancelled.`
      : `${lead}: ${d.doctor!.name} (${d.doctor!.specialty}) on ${when}${before ? `, instead of ${before}` : ''}.`,
    `Your appointment ID is ${d.id} (${spellOut(d.id)}).`,
    '',
    n.type === 'appointment.cancelled'
      ? `To book again, call ${frontDesk ?? 'the clinic'}.`
      : `To cancel or move it, call ${frontDesk ?? 'the clinic'} and give your appointment ID. The attached invitation adds it to your calendar.`,
    '',
    d.clinic,
  ];
  const escape = (s: string) =>
    s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
  return {
    subject: `${lead}: ${d.doctor!.name}, ${when} (${d.id})`,
    text: lines.join('\n'),
    html: `<!doctype html><html><body>${lines
      .reduce<string[][]>((paras, l) => (l ? (paras.at(-1)!.push(escape(l)), paras) : [...paras, []]), [[]])
      .filter((p) => p.length)
      .map((p) => `<p>${p.join('<br>')}</p>`)
      .join('')}</body></html>`,
  };
}

/**
 * The email channel (nodemailer over `SMTP_URL`): one message per appointment event to the
 * patient's address, plain text and HTML, with the `.ics` invitation attached. `Message-ID` is
 * the outbox entry's id, so a retry after a crash is the same message to mail clients.
 */
export function emailChannel(settings: EmailSettings, transport?: Transporter): Channel {
  // nodemailer (CommonJS) is loaded when an email channel is made: never by a serve without SMTP.
  const mailer =
    transport ??
    (createRequire(import.meta.url)('nodemailer') as typeof import('nodemailer')).createTransport(settings.url);
  return {
    name: 'email',
    wants: (n) => Boolean(n.data.contact.email) && n.type.startsWith('appointment.') && Boolean(n.data.start),
    async send(n, msgId) {
      const { subject, text, html } = appointmentEmail(n, settings.frontDesk);
      const ics = appointmentIcs(n);
      await mailer.sendMail({
        from: settings.from,
        to: n.data.contact.name ? { name: n.data.contact.name, address: n.data.contact.email! } : n.data.contact.email!,
        subject,
        text,
        html,
        messageId: `<${msgId}@receptionist>`,
        icalEvent: {
          method: n.type === 'appointment.cancelled' ? 'CANCEL' : 'REQUEST',
          filename: 'appointment.ics',
          content: ics,
        },
      });
    },
  };
}
