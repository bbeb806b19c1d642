/**
 * The deployed flow as a graph of where messages go: wires, link out → link in, link call → its link in, and into
 * subflows. One node shape and one walk for both directions: downstream (does a settling point follow a
 * `sales webhook`?) and upstream (which `sales webhook` feeds a lead map?). Pure: callers hand in the configurations.
 */

/** A node as flow JSON stores it: the parts the walks read. */
export interface FlowNodeConfig {
  id: string;
  type: string;
  /** Disabled: messages stop there. */
  d?: boolean;
  wires?: string[][];
  /** link out (mode "link") and link call: the link in nodes they send to; link in: the link out nodes it hears. */
  links?: string[];
  /** link out in return mode goes back to its caller, whose own wires are walked already. */
  mode?: string;
  /** A subflow definition's entry: `in: [{ wires: [{ id }] }]`. */
  in?: { wires?: { id: string }[] }[];
}

export const SETTLING_TYPES: ReadonlySet<string> = new Set(['sales-crm out', 'sales-webhook settle']);

const sendsByLink = (node: FlowNodeConfig) =>
  (node.type === 'link out' && node.mode !== 'return') || node.type === 'link call';

/** The nodes a message leaving `node` goes to next (all outputs). */
function nextNodes(node: FlowNodeConfig, byId: ReadonlyMap<string, FlowNodeConfig>): string[] {
  const next: string[] = [];
  for (const port of node.wires ?? []) for (const id of port ?? []) next.push(id);
  if (sendsByLink(node)) for (const id of node.links ?? []) next.push(id);
  if (node.type.startsWith('subflow:')) {
    const definition = byId.get(node.type.slice('subflow:'.length));
    for (const entry of definition?.in ?? []) for (const wire of entry.wires ?? []) next.push(wire.id);
  }
  return next;
}

/**
 * Whether a settling node (sales-crm out, sales-webhook settle) can receive what `startId` sends; `port` limits the
 * first step to one output (0 = the first).
 */
export function hasSettlingPointDownstream(
  startId: string,
  nodes: ReadonlyMap<string, FlowNodeConfig>,
  port?: number,
): boolean {
  const start = nodes.get(startId);
  if (!start) return false;
  const seen = new Set<string>([startId]);
  const queue = port === undefined ? nextNodes(start, nodes) : [...(start.wires?.[port] ?? [])];
  while (queue.length) {
    const id = queue.shift()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const node = nodes.get(id);
    if (!node || node.d) continue;
    if (SETTLING_TYPES.has(node.type)) return true;
    queue.push(...nextNodes(node, nodes));
  }
  return false;
}

/** For every node, the nodes a message can come from (the downstream edges reversed). */
export function messageSources(nodes: readonly FlowNodeConfig[]): Map<string, Set<string>> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const sources = new Map<string, Set<string>>();
  for (const node of nodes) {
    for (const target of nextNodes(node, byId)) {
      // A link only counts when it reaches a link in (a stale id or another type carries nothing).
      if (sendsByLink(node) && node.links?.includes(target) && byId.get(target)?.type !== 'link in') continue;
      if (!sources.has(target)) sources.set(target, new Set());
      sources.get(target)!.add(node.id);
    }
    // link in lists the link out nodes it hears: an edge even when the link out does not list it back.
    if (node.type === 'link in')
      for (const from of node.links ?? []) {
        const sender = byId.get(from);
        if (sender?.type === 'link out' && sender.mode !== 'return') {
          if (!sources.has(node.id)) sources.set(node.id, new Set());
          sources.get(node.id)!.add(from);
        }
      }
  }
  return sources;
}

/** The closest node upstream of `startId` (fewest hops) that `wanted` accepts, following messageSources. */
export function nearestUpstream(
  nodes: readonly FlowNodeConfig[],
  startId: string,
  wanted: (node: FlowNodeConfig) => boolean,
): FlowNodeConfig | undefined {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const sources = messageSources(nodes);
  const seen = new Set([startId]);
  let frontier = [startId];
  while (frontier.length) {
    const next: string[] = [];
    for (const id of frontier) {
      for (const from of sources.get(id) ?? []) {
        if (seen.has(from)) continue;
        seen.add(from);
        const node = byId.get(from);
        if (!node) continue;
        if (wanted(node)) return node;
        next.push(from);
      }
    }
    frontier = next;
  }
  return undefined;
}
