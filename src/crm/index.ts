export * from './settings';
export * from './fieldmap';
export * from './errors';
export * from './http';
export * from './auth';
export * from './systems';
export * from './outConfig';
