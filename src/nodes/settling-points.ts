import type { NodeAPI } from 'node-red';
import { hasSettlingPointDownstream, type FlowNodeConfig } from '../flowGraph';

/** Whether a settling point follows output 1 and output 2 of the node, in the flows deployed now. */
export function settlingPointsOf(RED: NodeAPI, nodeId: string): [boolean, boolean] {
  const nodes = new Map<string, FlowNodeConfig>();
  (RED.nodes as unknown as { eachNode(cb: (n: FlowNodeConfig) => void): void }).eachNode((n) => nodes.set(n.id, n));
  return [hasSettlingPointDownstream(nodeId, nodes, 0), hasSettlingPointDownstream(nodeId, nodes, 1)];
}
