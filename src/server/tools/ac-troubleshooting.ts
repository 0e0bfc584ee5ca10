import { findGuide } from '../../domain/ac-support.js';
import { requireString, type ToolHandler } from './context.js';

const ORDINALS = ['First', 'Second', 'Third', 'Fourth', 'Fifth', 'Sixth'];

/** `ac_troubleshooting({ symptom, model? })` → numbered steps from the matching guide. */
export const acTroubleshooting: ToolHandler = async (args, ctx) => {
  const symptom = requireString(args, 'symptom', 'what is wrong with the AC');
  const guides = await ctx.store.collection('troubleshooting_guides').find({});
  const guide = findGuide(guides, symptom);
  if (!guide) {
    return `I don't have steps for "${symptom}". I can book a technician visit for you; shall I do that?`;
  }
  const steps = guide.steps.map((s, i) => `${ORDINALS[i] ?? `Step ${i + 1}`}: ${s}`).join(' ');
  return `${guide.title}. ${steps} If that doesn't fix it, I can book a technician visit.`;
};
