import { mentionsAddress } from '../inbox/address';

/** Is this text about the erased person? */
export type MentionsErased = (text: string) => boolean;
type Forget = (mentions: MentionsErased) => void;

const holders = new Set<Forget>();

/**
 * Registers something that keeps deliveries in memory, outside every store (the lead map's "Last delivery"), so an
 * erasure reaches it too. Returns the function that unregisters it.
 */
export function onErasure(forget: Forget): () => void {
  holders.add(forget);
  return () => holders.delete(forget);
}

/** After the stores erased an address: every holder forgets what mentions it, by the stores' own rule. */
export function forgetErased(email: string): void {
  const address = mentionsAddress(email.trim());
  for (const forget of holders) forget((text) => address.test(text));
}
