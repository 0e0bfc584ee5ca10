import { escapeRegExp } from './assistant-test.js';

/**
 * De-identification of a real call for `receptionist test from-call`: names, phone numbers, emails
 * and appointment IDs replaced by consistent fakes (the same value always gets the same fake, so
 * the conversation still holds together), before anything is written to a file.
 */

const FAKE_NAMES = [
  ['Kavya', 'Nair'],
  ['Rohan', 'Mehta'],
  ['Ishita', 'Rao'],
  ['Arjun', 'Das'],
  ['Meera', 'Pillai'],
  ['Vikram', 'Sen'],
] as const;

/** Arguments of the clinic's tools that hold a person's name. */
const NAME_ARGUMENTS = new Set(['name', 'patientName', 'customerName', 'fullName']);

const EMAIL = /[A-Z0-9._%+-]+@[A-Z0-9.-]+\.[A-Z]{2,}/gi;
/** A phone number as callers and tools write it: 7+ digits, with +, spaces, dashes or dots between. */
const PHONE = /\+?\d[\d\s().-]{5,}\d/g;
/** "asha dot verma at example dot com": an email as a caller spells it out. */
const SPOKEN_EMAIL = /\b[a-z0-9]+(?:\s+(?:dot|underscore)\s+[a-z0-9]+)*\s+at\s+[a-z0-9]+(?:\s+dot\s+[a-z]{2,})+\b/gi;

export class Deidentifier {
  private readonly map = new Map<string, string>();
  private names = 0;
  private phones = 0;
  private emails = 0;
  /** Name tokens (first, last names) seen in the tools' arguments, longest first, with their fakes. */
  private readonly nameTokens = new Map<string, string>();

  /** How many distinct values were replaced, by kind. */
  get replaced(): { names: number; phones: number; emails: number } {
    return { names: this.names, phones: this.phones, emails: this.emails };
  }

  /** Registers a person's name (from a tool's arguments), so it is found in free text too. */
  name(value: string): string {
    const key = `name:${value.trim().toLowerCase()}`;
    let fake = this.map.get(key);
    if (!fake) {
      const [first, last] = FAKE_NAMES[this.names % FAKE_NAMES.length]!;
      const round = Math.floor(this.names / FAKE_NAMES.length);
      this.names++;
      const parts = value.trim().split(/\s+/);
      fake = parts.length > 1 ? `${first} ${last}${round ? ` ${round + 1}` : ''}` : first;
      this.map.set(key, fake);
      // Each part of the name, by itself, gets the matching part of the fake.
      parts.forEach((p, i) => {
        if (p.length > 1 && !this.nameTokens.has(p.toLowerCase()))
          this.nameTokens.set(p.toLowerCase(), i === 0 ? first : i === parts.length - 1 ? last : first);
      });
    }
    return fake;
  }

  private phone(value: string): string {
    const digits = value.replace(/\D/g, '');
    const key = `phone:${digits.slice(-10)}`;
    let fake = this.map.get(key);
    if (!fake) {
      this.phones++;
      fake = `+9198000${String(this.phones).padStart(5, '0')}`;
      this.map.set(key, fake);
    }
    return fake;
  }

  private email(value: string): string {
    const key = `email:${value.toLowerCase()}`;
    let fake = this.map.get(key);
    if (!fake) {
      this.emails++;
      fake = `patient${this.emails}@example.com`;
      this.map.set(key, fake);
    }
    return fake;
  }

  /** Free text (what the caller said, a tool's answer) with every known or recognisable identifier replaced. */
  text(value: string): string {
    let out = value.replace(EMAIL, (m) => this.email(m)).replace(SPOKEN_EMAIL, (m) => this.email(m));
    out = out.replace(PHONE, (m) => (m.replace(/\D/g, '').length >= 7 ? this.phone(m) : m));
    for (const [token, fake] of [...this.nameTokens].sort((a, b) => b[0].length - a[0].length))
      out = out.replace(new RegExp(`\\b${escapeRegExp(token)}\\b`, 'gi'), fake);
    return out;
  }

  /** A tool's arguments: names by their argument, then every value as free text. */
  arguments(args: Record<string, unknown>): Record<string, string> {
    for (const [k, v] of Object.entries(args)) if (NAME_ARGUMENTS.has(k) && typeof v === 'string') this.name(v);
    return Object.fromEntries(
      Object.entries(args).map(([k, v]) => {
        const s = typeof v === 'string' ? v : JSON.stringify(v);
        return [k, NAME_ARGUMENTS.has(k) ? this.name(s) : this.text(s)];
      }),
    );
  }
}
