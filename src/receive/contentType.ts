/** True for application/json and application/*+json, with any parameters (charset=UTF-8 from python-requests). */
export function isJsonContentType(header: string | undefined): boolean {
  if (!header) return false;
  const semicolon = header.indexOf(';');
  const mediaType = (semicolon === -1 ? header : header.slice(0, semicolon)).trim().toLowerCase();
  if (mediaType === 'application/json') return true;
  return mediaType.startsWith('application/') && mediaType.endsWith('+json');
}
