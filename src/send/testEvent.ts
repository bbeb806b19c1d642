import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { ProviderProfile } from '../providers/types';
import { sampleEventFile } from '../sampleEvents';
import { signDelivery } from '../verify/sign';
import type { VerificationScheme } from '../verify/types';

export interface TestDelivery {
  body: Buffer;
  headers: Record<string, string>;
}

/**
 * The example made a new delivery: duplicate suppression would otherwise acknowledge a second test without passing
 * it on. The event id gets a suffix where the platform has one; otherwise a top-level test_delivery field is added.
 */
function uniqueCopy(profile: ProviderProfile, example: Buffer): Buffer {
  const event = JSON.parse(example.toString('utf8')) as Record<string, unknown>;
  const suffix = randomBytes(4).toString('hex');
  const idPath = profile.envelope.idPath;
  if (idPath && !idPath.includes('.') && typeof event[idPath] === 'string')
    event[idPath] = `${event[idPath]}_test_${suffix}`;
  else event.test_delivery = suffix;
  return Buffer.from(JSON.stringify(event));
}

/** The documented event types that have an example body, in the provider's order. */
export function testEventTypes(profile: ProviderProfile): string[] {
  return Object.keys(profile.events).filter((type) => fs.existsSync(sampleEventFile(profile.id, type)));
}

/**
 * The example body of `eventType`, signed exactly as the platform signs it (with `scheme`, the source's own
 * verification, so edited header names and templates are honoured). `tamper` changes one byte after signing.
 */
export function buildTestDelivery(
  profile: ProviderProfile,
  scheme: VerificationScheme,
  eventType: string,
  secret: string,
  { tamper = false, same = false } = {},
): TestDelivery {
  if (!testEventTypes(profile).includes(eventType))
    throw new Error(`${profile.label} has no example of "${eventType}"`);
  const example = fs.readFileSync(sampleEventFile(profile.id, eventType));
  const body = same ? example : uniqueCopy(profile, example);
  // SaleAssist sends python-requests' content type; everyone else plain JSON.
  const contentType = profile.id === 'saleassist' ? 'application/json; charset=UTF-8' : 'application/json';
  const headers: Record<string, string> = {
    'content-type': contentType,
    'user-agent': 'sales-webhooks-test-sender',
    ...signDelivery(scheme, secret, body),
  };
  if (!tamper) return { body, headers };
  const forged = Buffer.from(body);
  // Flip a letter inside the first string value: still JSON, no longer what was signed.
  const at = forged.indexOf('"', forged.indexOf(':')) + 1;
  forged[at] = forged[at] === 0x41 ? 0x42 : 0x41;
  // A shared token cannot be tampered with through the body, so a forged copy carries a wrong token instead.
  if (scheme.kind === 'header-token') headers[scheme.headerName] = `${secret}-forged`;
  return { body: forged, headers };
}
