'use strict';
// "Last delivery": the nearest sales webhook in upstream of a lead map, through any nodes and link nodes.
const assert = require('node:assert/strict');
const { nearestUpstream } = require('../../dist/flowGraph');
const { demoFlow } = require('../../scripts/demo-flow');

const isReceiver = (n) => n.type === 'sales-webhook in';
const find = (nodes, id) => nearestUpstream(nodes, id, isReceiver)?.id;

describe('finding the sales webhook in upstream of a node', function () {
  it('in the demo flow, every lead map finds its own receiver through the switch node', function () {
    const { nodes } = demoFlow({ userDir: '/tmp/unused', env: {} });
    const maps = nodes.filter((n) => n.type === 'sales-lead-map');
    assert.equal(maps.length, 5);
    for (const map of maps) assert.equal(find(nodes, map.id), map.id.replace('demo-map-', 'demo-in-'));
  });

  it('follows link out → link in, across tabs, and link call into its link in', function () {
    const nodes = [
      { id: 'in', type: 'sales-webhook in', wires: [['out'], []] },
      { id: 'out', type: 'link out', mode: 'link', links: ['lin'] },
      { id: 'lin', type: 'link in', links: ['out'], wires: [['fn']] },
      { id: 'fn', type: 'function', wires: [['map']] },
      { id: 'map', type: 'sales-lead-map', wires: [[], []] },
      // A routine reached by link call: the call's input is upstream of the routine and of what follows the call.
      { id: 'in2', type: 'sales-webhook in', wires: [['call'], []] },
      { id: 'call', type: 'link call', links: ['routine'], wires: [['after']] },
      { id: 'routine', type: 'link in', wires: [['inside']] },
      { id: 'inside', type: 'sales-lead-map', wires: [['ret']] },
      { id: 'ret', type: 'link out', mode: 'return' },
      { id: 'after', type: 'sales-lead-map', wires: [[], []] },
    ];
    assert.equal(find(nodes, 'map'), 'in');
    assert.equal(find(nodes, 'inside'), 'in2');
    assert.equal(find(nodes, 'after'), 'in2');
    // A link in that only lists the link out on its own side is still connected.
    const oneSided = nodes.map((n) => (n.id === 'out' ? { ...n, links: [] } : n));
    assert.equal(find(oneSided, 'map'), 'in');
  });

  it('takes the nearest when several receivers feed a node, survives loops, and finds none when none is upstream', function () {
    const nodes = [
      { id: 'far', type: 'sales-webhook in', wires: [['a']] },
      { id: 'a', type: 'change', wires: [['b']] },
      { id: 'b', type: 'change', wires: [['map', 'a']] },
      { id: 'near', type: 'sales-webhook in', wires: [['map']] },
      { id: 'map', type: 'sales-lead-map', wires: [['b']] },
      { id: 'lonely', type: 'sales-lead-map', wires: [] },
      { id: 'inject', type: 'inject', wires: [['lonely']] },
    ];
    assert.equal(find(nodes, 'map'), 'near');
    assert.equal(find(nodes, 'lonely'), undefined);
    assert.equal(find(nodes, 'nosuch'), undefined);
  });
});
