// The library API: everything a user needs, from the package root.
export { TokentagError, InputError, UsageError } from './errors.ts';
