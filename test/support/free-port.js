'use strict';
const net = require('node:net');

/** A port nothing listens on right now; whoever binds it next may still lose it to another socket (see onFreePort). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** How Node-RED, Node and redis-server say that a port was taken. */
const PORT_TAKEN = /Unable to listen on|EADDRINUSE|port in use|Address already in use/;

/**
 * `start(port)` on a free port, and on another one when its bind lost the race: freePort() closes its probe before
 * the server binds, and any socket the suite opens meanwhile can take the port.
 */
async function onFreePort(start, attempts = 3) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await freePort());
    } catch (err) {
      if (attempt >= attempts || !PORT_TAKEN.test(String(err?.message))) throw err;
    }
  }
}

module.exports = { freePort, onFreePort };
