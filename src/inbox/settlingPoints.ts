/**
 * Whether a `sales webhook`'s flow settles its deliveries: walks the wires from the node through every node it can
 * reach (link out → link in, link call → its targets and onwards, into subflows) looking for a settling node.
 * Pure: the caller hands in the deployed node configurations.
 */

export const SETTLING_TYPES: ReadonlySet<string> = new Set(['sales-crm out', 'sales-webhook settle']);

/** The parts of a deployed node's configuration the walk reads. */
export interface FlowNodeConfig {
  id: string;
  type: string;
  d?: boolean;
  wires?: string[][];
  /** link out / link call: the link in nodes they reach. */
  links?: string[];
  /** link out in return mode goes back to its caller, whose own wires are walked already. */
  mode?: string;
  /** A subflow definition's entry: `in: [{ wires: [{ id }] }]`. */
  in?: { wires?: { id: string }[] }[];
}

/** `port` limits the walk's first step to one output of the start node (0 = the first). */
export function hasSettlingPointDownstream(
  startId: string,
  nodes: ReadonlyMap<string, FlowNodeConfig>,
  port?: number,
): boolean {
  const start = nodes.get(startId);
  if (!start) return false;
  const seen = new Set<string>([startId]);
  const queue: string[] = [];
  const next = (node: FlowNodeConfig) => {
    for (const port of node.wires ?? []) for (const id of port ?? []) queue.push(id);
    if ((node.type === 'link out' && node.mode !== 'return') || node.type === 'link call')
      for (const id of node.links ?? []) queue.push(id);
    if (node.type.startsWith('subflow:')) {
      const definition = nodes.get(node.type.slice('subflow:'.length));
      for (const entry of definition?.in ?? []) for (const wire of entry.wires ?? []) queue.push(wire.id);
    }
  };
  if (port === undefined) next(start);
  else queue.push(...(start.wires?.[port] ?? []));
  while (queue.length) {
    const id = queue.shift()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const node = nodes.get(id);
    if (!node || node.d) continue;
    if (SETTLING_TYPES.has(node.type)) return true;
    next(node);
  }
  return false;
}
