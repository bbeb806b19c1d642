/**
 * The address as a whole word, any case: not inside a longer address (bojo@x.com, jo@x.com.au). Erasure removes only
 * what mentions this person, whichever store holds it.
 */
export function mentionsAddress(email: string): RegExp {
  const literal = email.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![A-Za-z0-9._%+\\-])${literal}(?![A-Za-z0-9\\-]|\\.[A-Za-z0-9])`, 'i');
}
