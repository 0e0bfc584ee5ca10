import { renderTable } from '../shared/table.js';
import { listPhoneNumbers, type PhoneNumberRow } from '../../vapi/phone-numbers.js';
import { IMPORT_NUMBER_HINT } from '../shared/vapi.js';
import { implement, type RenderContext } from '../shared/command.js';
import type { Context } from '../shared/context.js';

/** `phone-numbers list`. @throws AuthError (no key, rejected key), NetworkError */
export async function runPhoneNumbersList(_o: unknown, ctx: Context): Promise<PhoneNumberRow[]> {
  return listPhoneNumbers(await ctx.vapi(), ctx.vapiSettings());
}

/** A table on stdout, or with --json an array of `{id, number, provider, name, pointsAt, serverUrl, credentialId, callsOut}` (`callsOut`: `US` or `any`). */
export function renderPhoneNumbers(rows: PhoneNumberRow[], _o: unknown, { io, globals: g }: RenderContext): void {
  if (g.json) return io.line(JSON.stringify(rows.map(({ raw: _raw, ...r }) => r)));
  if (!rows.length) return io.info('No phone numbers on this Vapi account. Buy or import one in the Vapi dashboard.');
  if (rows.some((r) => r.callsOut === 'US'))
    io.info(
      `A free Vapi number calls US numbers only: reminders and \`receptionist call\` to other countries need an imported number. ${IMPORT_NUMBER_HINT}`,
    );
  const head = ['ID', 'Number', 'Provider', 'Name', 'Points at', 'Calls out to'];
  io.line(
    renderTable(
      head,
      rows.map((r) => [
        r.id,
        r.number ?? '',
        r.provider,
        r.name ?? '',
        r.pointsAt,
        r.callsOut === 'US' ? 'US numbers only (free Vapi number)' : 'any country',
      ]),
      io,
      g.color,
    ),
  );
}

export const list = implement({ parse: () => undefined, run: runPhoneNumbersList, render: renderPhoneNumbers });
