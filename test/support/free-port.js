'use strict';
const net = require('node:net');

/** A port nothing listens on right now; whoever binds it next may still lose it to another socket, so retry on EADDRINUSE. */
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

module.exports = { freePort };
