/** A lead the CRM did not take. Its message never contains a token: every text from outside is scrubbed first. */
export class CrmError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly crmMessage: string | undefined,
    readonly attempts: number,
  ) {
    super(message);
    this.name = 'CrmError';
  }
}

export function scrub(text: string, secrets: Array<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    // A token may come back as sent in a query string, so its URL-encoded forms are removed too.
    for (const form of new Set([secret, encodeURIComponent(secret), new URLSearchParams({ t: secret }).toString().slice(2)])) out = out.split(form).join('[redacted]');
  }
  return out;
}

/** The CRM's own reason from an error body: HubSpot's message, Salesforce's [{message}], Pipedrive's error. */
export function crmReason(body: unknown, text: string): string | undefined {
  const first = Array.isArray(body) ? body[0] : body;
  if (first && typeof first === 'object') {
    const o = first as Record<string, unknown>;
    const reason = [o.message, o.error, o.error_info, o.errorCode].find((v) => typeof v === 'string' && v);
    if (typeof reason === 'string') return reason.slice(0, 500);
  }
  const trimmed = text.trim();
  return trimmed ? trimmed.slice(0, 300) : undefined;
}
