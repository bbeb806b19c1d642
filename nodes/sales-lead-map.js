module.exports = require('../dist/nodes/sales-lead-map.js');
