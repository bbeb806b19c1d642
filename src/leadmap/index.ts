export * from './types';
export * from './lead';
export * from './engine';
export { coerce } from './coerce';
export * from './config';
export { rowValues, type RowValue } from './rowValues';
