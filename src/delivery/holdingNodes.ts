/**
 * Core nodes whose done() does not mean a message's content has gone on: they hold messages and send their content
 * later, or under another message id. Checked in Node-RED 4.1 and 5.0's sources:
 * - `join` reports each message done only after it sent the group, but the joined message keeps the _msgid of one
 *   of them (the last to arrive; in reduce mode the last in order): the others' content travels under that id.
 * - `trigger` reports a message done before it sends it on, and may send again at the end of its wait (a clone of
 *   the first message, or the latest one).
 * - `split` reports a message done after sending its parts, each under a new _msgid (in stream mode, later).
 * `batch`, `sort` and `delay` (every mode, rate limit and queues included) also hold messages, but send each on
 * under its own _msgid before reporting it done, so following the message id is exact there.
 */

/**
 * What a holding node's done() means for a message it did not send anything with in that same moment:
 * `keeps` - it still holds it (it goes with the node's next message); `drops` - the node dropped it on purpose.
 */
export type Holding = 'keeps' | 'drops';

/** The node types that hold messages; the README and the receiving node's help name them. */
export const HOLDING_NODE_TYPES: readonly string[] = ['join', 'trigger', 'split'];

const holdingTypes = new Set(HOLDING_NODE_TYPES);

/** How a node instance holds messages, if it is one of the holding types (`op2type`: a trigger's second output). */
export function holdingOf(node: { type?: unknown; op2type?: unknown } | undefined): Holding | undefined {
  if (!node || typeof node.type !== 'string' || !holdingTypes.has(node.type)) return undefined;
  // A trigger that sends nothing at the end of its wait has dropped what it blocked; one that sends may carry it.
  if (node.type === 'trigger' && node.op2type === 'nul') return 'drops';
  return 'keeps';
}
