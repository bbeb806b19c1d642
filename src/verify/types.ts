/** What a signature scheme needs from one HTTP delivery. Header names are lower-case, as Node gives them. */
export interface SignedDelivery {
  rawBody: Buffer;
  headers: Record<string, string | string[] | undefined>;
}

export type HmacAlgorithm = 'sha256' | 'sha512' | 'sha1';
export type SignatureEncoding = 'hex' | 'base64';

/** How a provider proves a delivery is authentic. Pure data: the editor stores it, the verifier reads it. */
export type VerificationScheme =
  /** Svix / Standard Webhooks v1: svix-* or webhook-* headers, whsec_ base64 secret, HMAC-SHA256 over id.timestamp.body. */
  | { kind: 'standard-webhooks' }
  /** Stripe-Signature: t=…,v1=…; hex HMAC-SHA256 over `t.body`, keyed by the whole whsec_ string. */
  | { kind: 'stripe' }
  /** Any HMAC header; `template` is the signed content over {body}, {timestamp}, {id}. */
  | {
      kind: 'hmac';
      header: string;
      algorithm: HmacAlgorithm;
      encoding: SignatureEncoding;
      /** Stripped from the header value when present, e.g. "sha256=". */
      prefix: string;
      /** The prefix must be present (GitHub: octokit rejects a bare hex signature); otherwise it is tolerated. */
      requirePrefix?: boolean;
      template: string;
      timestampHeader?: string;
      idHeader?: string;
      /** The recorder platform's own example signs JSON.stringify(JSON.parse(body)); accept a match over that too. */
      acceptReserialized?: boolean;
    }
  /** A shared secret value in a header the user chose, compared in constant time. */
  | { kind: 'header-token'; headerName: string }
  | { kind: 'none' };

export interface VerifierOptions {
  scheme: VerificationScheme;
  /** Current secret first, then the previous one while a rotation is under way. Token for header-token. */
  secrets: string[];
  toleranceSeconds: number;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
}

/** What a successful verification learnt about the delivery. */
export interface VerifiedDelivery {
  /** The delivery id a signature covered (svix-id, webhook-id, the {id} header), if any. */
  deliveryId?: string;
  /** Signed timestamp in seconds, if the scheme has one. */
  timestamp?: number;
  /**
   * The body bytes the signature covers, when they differ from the raw body (the recorder's JSON.stringify form).
   * Duplicates are keyed on these, so a re-formatted copy of a signed delivery is still the same delivery.
   */
  signedBody?: Buffer;
}

export type Verifier = (delivery: SignedDelivery) => VerifiedDelivery;

export type VerificationFailure =
  'missing_header' | 'malformed_header' | 'no_matching_signature' | 'timestamp_too_old' | 'timestamp_in_future';

/** Thrown for a delivery that is not authentic. Its message is short, fixed and safe to show the sender. */
export class WebhookVerificationError extends Error {
  constructor(
    readonly failure: VerificationFailure,
    message: string,
  ) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

/** Thrown when the configuration itself cannot verify anything (empty or malformed secret, unknown algorithm). Never contains the secret. */
export class WebhookConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
    this.name = 'WebhookConfigError';
  }
}
