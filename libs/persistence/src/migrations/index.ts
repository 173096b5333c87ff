import { Foundation1767000000000 } from './1767000000000-foundation';

/** Every migration, oldest first. Add new ones at the end; never edit an applied one. */
export const MIGRATIONS = [Foundation1767000000000];
