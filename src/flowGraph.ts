/** A node as flow JSON stores it: enough to follow messages backwards through wires and link nodes. */
export interface FlowNodeConfig {
  id: string;
  type: string;
  wires?: string[][];
  /** link out (mode "link") and link call: the link in nodes they send to; link in: the link out nodes it hears. */
  links?: string[];
  mode?: string;
}

/** For every node, the nodes a message can come from: wires, link out → link in, and link call → its link in. */
export function messageSources(nodes: readonly FlowNodeConfig[]): Map<string, Set<string>> {
  const sources = new Map<string, Set<string>>();
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const add = (to: string, from: string) => {
    if (!sources.has(to)) sources.set(to, new Set());
    sources.get(to)!.add(from);
  };
  for (const node of nodes) {
    for (const output of node.wires ?? []) for (const target of output ?? []) add(target, node.id);
    const sendsByLink = (node.type === 'link out' && node.mode !== 'return') || node.type === 'link call';
    if (sendsByLink)
      for (const target of node.links ?? []) if (byId.get(target)?.type === 'link in') add(target, node.id);
    if (node.type === 'link in') {
      for (const from of node.links ?? [])
        if (byId.get(from)?.type === 'link out' && byId.get(from)?.mode !== 'return') add(node.id, from);
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
