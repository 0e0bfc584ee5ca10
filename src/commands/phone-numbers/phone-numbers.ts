import { renderTable } from '../shared/table.js';
import { canCallRegion, listPhoneNumbers, type PhoneNumberRow } from '../../vapi/phone-numbers.js';
import { IMPORT_NUMBER_HINT } from '../shared/phone-number-hint.js';
import { loadBotConfig } from '../../domain/clinic.js';
import { implement, noFlags, type RenderContext } from '../shared/command.js';
import type { Context } from '../shared/context.js';

/** One row as listed: the number, and whether it can call the clinic's patients (their region). */
export type ListedPhoneNumber = PhoneNumberRow & { clinicRegion?: string; canCallClinic?: boolean };

/**
 * `phone-numbers list`, with where each number can call measured against the clinic's
 * `defaultRegion` when a store is here. @throws AuthError (no key, rejected key), NetworkError
 */
export async function runPhoneNumbersList(_o: unknown, ctx: Context): Promise<ListedPhoneNumber[]> {
  const rows = await listPhoneNumbers(await ctx.vapi(), ctx.vapiSettings());
  const store = await ctx.store({ readOnly: true, allowMissing: true }).catch(() => undefined);
  const config = store ? await loadBotConfig(store.collection('bot_configs')).catch(() => null) : null;
  const region = config?.clinic.defaultRegion;
  return rows.map((r) =>
    region ? { ...r, clinicRegion: region, canCallClinic: canCallRegion(r.callsOut, region) } : r,
  );
}

/**
 * A table on stdout, or with --json an array of `{id, number, provider, name, pointsAt, serverUrl,
 * credentialId, callsOut, clinicRegion?, canCallClinic?}` (`callsOut`: `US` or `any`).
 */
export function renderPhoneNumbers(rows: ListedPhoneNumber[], _o: unknown, { io, globals: g }: RenderContext): void {
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
        (r.callsOut === 'US' ? 'US only (free Vapi number)' : 'any country') +
          (r.canCallClinic === false ? `, not ${r.clinicRegion}` : ''),
      ]),
      io,
      g.color,
    ),
  );
}

export const list = implement({ parse: noFlags, run: runPhoneNumbersList, render: renderPhoneNumbers });
