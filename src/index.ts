// Pure modules, usable without Node-RED.
export * from './verify/types';
export * from './providers/types';
export * from './leadmap/types';
export * from './receive/types';
