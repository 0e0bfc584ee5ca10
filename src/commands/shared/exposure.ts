import type { Deps } from '../../deps.js';
import { AuthError, UsageError } from '../../errors.js';
import { resolveSetting } from '../../settings.js';
import { resolveVapiSettings } from '../../vapi/client.js';
import type { ServeOptions } from '../../server/runtime.js';

/** The flags that say how Vapi reaches a local server (serve's, and `test`'s for a simulation). */
export interface ExposureFlags {
  tunnel?: boolean;
  publicUrl?: string;
  ngrokDomain?: string;
  updateAssistant?: boolean;
  vapiKey?: string;
}

/**
 * --tunnel / --public-url / --update-assistant (serve's, and `test`'s for a simulation's tool calls),
 * checked before anything starts. @throws UsageError, AuthError
 */
export function parseExposure(
  flags: ExposureFlags,
  deps: Pick<Deps, 'env'>,
): Pick<ServeOptions, 'tunnel' | 'publicUrl' | 'updateAssistant'> {
  const domain = resolveSetting('ngrok-domain', flags.ngrokDomain, 'NGROK_DOMAIN', deps.env);
  if (flags.tunnel && flags.publicUrl)
    throw new UsageError(
      '--tunnel and --public-url cannot be used together.',
      'Use --tunnel for an ngrok tunnel, or --public-url for one you already run.',
    );
  if (flags.ngrokDomain && !flags.tunnel) throw new UsageError('--ngrok-domain needs --tunnel.');
  let publicUrl: string | undefined;
  if (flags.publicUrl) {
    let u: URL;
    try {
      u = new URL(flags.publicUrl);
    } catch {
      throw new UsageError(
        `Invalid --public-url "${flags.publicUrl}".`,
        'Give the https URL of your tunnel or proxy, e.g. https://clinic.example.com.',
      );
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:')
      throw new UsageError(`Invalid --public-url "${flags.publicUrl}".`, 'Give an http(s) URL.');
    publicUrl = u.toString().replace(/\/+$/, '');
  }
  let tunnel: ServeOptions['tunnel'];
  if (flags.tunnel) {
    const token = deps.env.get('NGROK_AUTHTOKEN');
    if (!token?.value)
      throw new AuthError(
        '--tunnel needs an ngrok authtoken: NGROK_AUTHTOKEN is not set.',
        'Copy it from https://dashboard.ngrok.com/get-started/your-authtoken into NGROK_AUTHTOKEN (environment or .env), or use --public-url with a tunnel you already run.',
      );
    tunnel = { authtoken: token.value, domain: domain?.value };
  }
  if (flags.updateAssistant && !tunnel && !publicUrl)
    throw new UsageError(
      '--update-assistant needs a public URL to point the assistant at.',
      'Add --tunnel, or --public-url <url>.',
    );
  const updateAssistant = flags.updateAssistant ? resolveVapiSettings(flags, deps.env) : undefined;
  return { tunnel, publicUrl, updateAssistant };
}
