/**
 * `@sightline/metrics/testing`: what the metrics tests and tools/bench's `metrics` suite both
 * need to run a store on this machine (a throwaway PostgreSQL on loopback).
 */
export { startTestPostgres, type TestPostgres } from './loopback-postgres.js';
