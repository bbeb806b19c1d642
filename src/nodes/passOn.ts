/**
 * Runs a node's send and done outside its input handler's turn (after a store's or a CRM's answer, in a later slice),
 * where Node-RED catches nothing: a message it cannot copy for a second wire, a Catch or a Complete node (nested
 * thousands of levels deep, as a sender may post) throws there, and would end Node-RED. Such a fault is logged by
 * `describe(reason)`, without the message (the message is what could not be copied).
 */
export function passOn(node: { error(text: string): void }, describe: (reason: string) => string, step: () => void) {
  try {
    step();
  } catch (err) {
    node.error(describe(reasonOf(err)));
  }
}

/** What went wrong, in words: an Error's message, else the thrown value itself. */
export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
