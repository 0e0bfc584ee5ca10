// A constant only: serve's flags use it, and must not load the CLI's spinner (./vapi.ts) for it.

/** The fix for a free Vapi number that cannot call the patients. */
export const IMPORT_NUMBER_HINT =
  'Import a Twilio, Vonage or Telnyx number (or a SIP trunk) in the Vapi dashboard (https://docs.vapi.ai/phone-calling), then call from it: `receptionist sync --phone-number <E.164>` or RECEPTIONIST_PHONE_NUMBER_ID.';
