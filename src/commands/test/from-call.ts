import { implement } from '../shared/command.js';
import { UsageError } from '../../errors.js';
export const fromCall = implement({
  parse: () => {
    throw new UsageError('not yet');
  },
  run: async () => undefined,
});
