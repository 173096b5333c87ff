/** Injection tokens of what every service shares. */
export const KERA_CONFIG = Symbol('KERA_CONFIG');
export const NATS_CONNECTION = Symbol('NATS_CONNECTION');
export const LOGGER = Symbol('LOGGER');
export const SERVICE_NAME = Symbol('SERVICE_NAME');
