export * from '@opcfleet/tracing';

/** Injection token of the Tracing. */
export const TRACING = Symbol('Tracing');
