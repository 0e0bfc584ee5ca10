import { spokenList } from '../../domain/spoken-time.js';
import { workingDays } from '../../domain/schedule.js';
import { doctors, type ToolHandler } from './context.js';
import { pickDoctors } from './clinic-common.js';

/** `list_doctors({ specialty? })` → the doctors and the days they see patients. */
export const listDoctors: ToolHandler = async (args, ctx) => {
  const all = await doctors(ctx);
  if (!all.length) return 'I have no doctors on file right now. Please call back later.';
  const picked = pickDoctors(all, args);
  if ('answer' in picked) return picked.answer;
  const lines = picked.doctors.map((d) => `${d.name}, ${d.specialty}, on ${spokenList(workingDays(d))}`);
  return `${picked.doctors.length === 1 ? 'We have' : `We have ${picked.doctors.length} doctors:`} ${lines.join('; ')}.`;
};
