// No imports: the command definition reads this for --help.

/** The keys `config set` accepts, with a description for help and errors. */
export const CONFIG_KEYS: Record<string, string> = {
  name: 'assistant name (at most 40 characters)',
  firstMessage: 'what the assistant says first',
  systemPrompt: "the model's system prompt",
  'voice.provider': 'voice provider (see `receptionist options voices`)',
  'voice.voiceId': "voice id, one of the provider's presets or its own id where free-form",
  'voice.model': 'voice model, where the provider has them',
  'transcriber.provider': 'transcriber provider (see `receptionist options transcribers`)',
  'transcriber.model': 'transcriber model',
  'transcriber.language': 'transcription language, e.g. en, en-IN, multi',
  'model.provider': 'LLM provider (see `receptionist options models`)',
  'model.model': 'LLM model',
  'model.temperature': 'LLM temperature, 0 to 2',
  serverMessages: 'comma-separated server messages Vapi sends to the webhook',
  'clinic.name': "the clinic's name",
  'clinic.timeZone': 'IANA time zone of the clinic, e.g. Asia/Kolkata',
  'clinic.defaultRegion': 'region for phone numbers without a country code, ISO 3166 (e.g. IN)',
  'clinic.slotMinutes': 'appointment length in minutes',
  'clinic.holdMinutes': 'how long a held slot stays reserved, minutes',
  'clinic.bookingHorizonDays': 'how far ahead bookings are accepted, days',
  'clinic.frontDeskNumber': 'E.164 number of the front desk, where transfers go (e.g. +918041234567)',
  'clinic.reminderHours': 'hours before an appointment its reminder goes out, 1 to 168; 0 for none (default 24)',
  'clinic.reminderChannels':
    'how reminders go, comma-separated of call, email, sms (default all three, each where serve has it)',
  'clinic.reminderFirstMessage':
    "what the assistant says first on a reminder call, with {{name}}, {{doctor}}, {{appointmentTime}}, {{clinic}}, {{appointmentId}} and the clinic's clock {{clinic.date}}, {{clinic.time}}; any other placeholder is refused",
  'clinic.testBeforeSync':
    'true to have `sync` run the tests in receptionist/tests on the config first and publish nothing when one fails',
  'clinic.hipaaEnabled':
    "true to set the assistant's compliancePlan.hipaaEnabled (Vapi's HIPAA mode is an organisation add-on; Vapi then still keeps recordings and transcripts, in HIPAA storage; keeping nothing is its Zero Data Retention add-on)",
};

/** The assistant's voice, transcriber and model: the keys `config show` lists and the studio's Assistant page edits. */
export const PROVIDER_KEYS = [
  'voice.provider',
  'voice.voiceId',
  'voice.model',
  'transcriber.provider',
  'transcriber.model',
  'transcriber.language',
  'model.provider',
  'model.model',
  'model.temperature',
] as const;
