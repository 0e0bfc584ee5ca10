import { renderTable } from '../shared/table.js';
import type { Deps } from '../../deps.js';
import type { IO } from '../../io.js';
import { createVapiClient, resolveVapiSettings } from '../../vapi/client.js';
import { listPhoneNumbers, type PhoneNumberRow } from '../../vapi/phone-numbers.js';
import type { GlobalOptions } from '../shared/globals.js';

/** `phone-numbers list`. @throws AuthError (no key, rejected key), NetworkError */
export async function runPhoneNumbersList(flags: { vapiKey?: string }, deps: Deps): Promise<PhoneNumberRow[]> {
  const settings = resolveVapiSettings(flags, deps.env);
  return listPhoneNumbers(await createVapiClient(settings), settings);
}

/** A table on stdout, or with --json an array of `{id, number, provider, name, pointsAt, serverUrl, credentialId}`. */
export function renderPhoneNumbers(rows: PhoneNumberRow[], g: GlobalOptions, io: IO): void {
  if (g.json) return io.line(JSON.stringify(rows.map(({ raw: _raw, ...r }) => r)));
  if (!rows.length) return io.info('No phone numbers on this Vapi account. Buy or import one in the Vapi dashboard.');
  const head = ['ID', 'Number', 'Provider', 'Name', 'Points at'];
  io.line(
    renderTable(
      head,
      rows.map((r) => [r.id, r.number ?? '', r.provider, r.name ?? '', r.pointsAt]),
      io,
      g.color,
    ),
  );
}
