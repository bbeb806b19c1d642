import { checkHmacScheme, verifyHmac } from './hmac';
import { verifyHeaderToken } from './headerToken';
import { decodeStandardSecret, verifyStandardWebhook } from './standardWebhooks';
import { verifyStripe } from './stripe';
import { WebhookConfigError, type VerificationScheme, type Verifier, type VerifierOptions } from './types';

export * from './types';
export { signDelivery } from './sign';

const TOKEN_HEADER = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * A verifier for one configured source. Everything that could make it useless (empty or malformed secret,
 * unknown algorithm, a template naming a header it does not have) throws WebhookConfigError here, at deploy.
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const { scheme, toleranceSeconds } = options;
  const now = options.now ?? Date.now;
  if (!(toleranceSeconds > 0))
    throw new WebhookConfigError('tolerance', 'tolerance must be a positive number of seconds');
  const secrets = options.secrets.map((s) => (typeof s === 'string' ? s.trim() : ''));
  if (scheme.kind !== 'none') {
    const key = scheme.kind === 'header-token' ? 'token' : 'secret';
    if (secrets.length === 0 || secrets[0] === '')
      throw new WebhookConfigError(key, `the ${key} is empty: paste it from the platform's webhook settings`);
    if (secrets.some((s) => s === '')) throw new WebhookConfigError('previousSecret', 'the previous secret is blank');
  }
  switch (scheme.kind) {
    case 'standard-webhooks': {
      const keys = secrets.map((secret, i) => decodeStandardSecret(secret, i === 0 ? 'secret' : 'previousSecret'));
      return (delivery) => verifyStandardWebhook(delivery, keys, toleranceSeconds, now());
    }
    case 'stripe':
      return (delivery) => verifyStripe(delivery, secrets, toleranceSeconds, now());
    case 'hmac':
      checkHmacScheme(scheme);
      return (delivery) => verifyHmac(delivery, scheme, secrets, toleranceSeconds, now());
    case 'header-token': {
      if (!scheme.headerName || !TOKEN_HEADER.test(scheme.headerName)) {
        throw new WebhookConfigError('headerName', 'the header name is empty or not a valid header name');
      }
      const headerName = scheme.headerName.toLowerCase();
      return (delivery) => verifyHeaderToken(delivery, headerName, secrets);
    }
    case 'none':
      return () => ({});
    default:
      throw new WebhookConfigError('provider', 'unknown verification scheme');
  }
}

/** Lower-cased names of the headers that carry a signature or token; they are redacted wherever headers are shown. */
export function authenticationHeaders(scheme: VerificationScheme): string[] {
  switch (scheme.kind) {
    case 'standard-webhooks':
      return ['svix-signature', 'webhook-signature'];
    case 'stripe':
      return ['stripe-signature'];
    case 'hmac':
      return [scheme.header.toLowerCase()];
    case 'header-token':
      return [scheme.headerName.toLowerCase()];
    default:
      return [];
  }
}
