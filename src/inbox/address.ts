/** Whether a stored text mentions the address; `test` like a RegExp's, so every store asks it the same way. */
export interface AddressMatcher {
  test(text: string): boolean;
}

/**
 * JSON's `\uXXXX` escapes (`jo\u0040corp.com` is jo@corp.com once parsed), back to the characters they stand for; also
 * escaped twice (`\\u0040`), as a CRM's answer is once it is stored inside a settlement's JSON.
 */
const JSON_ESCAPE = /\\+u([0-9a-fA-F]{4})/g;
const unescapeJson = (text: string) =>
  text.includes('\\u') ? text.replace(JSON_ESCAPE, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))) : text;

/**
 * The address as a whole word, in any case (Unicode's: ÄRGER@firma.de is ärger@firma.de), written plainly or with
 * JSON escapes, in either Unicode normal form: not inside a longer address (bojo@x.com, jo@x.com.au). Erasure removes
 * only what mentions this person, whichever store holds it.
 */
export function mentionsAddress(email: string): AddressMatcher {
  const literal = email
    .trim()
    .normalize('NFC')
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const address = new RegExp(`(?<![\\p{L}\\p{N}._%+\\-])${literal}(?![\\p{L}\\p{N}\\-]|\\.[\\p{L}\\p{N}])`, 'iu');
  return { test: (text) => address.test(unescapeJson(text).normalize('NFC')) };
}
