/** Limits on commit metadata, checked before anything reaches a store. */
import { InvalidInput } from './errors.js';

export const MAX_MESSAGE = 16_384;
export const MAX_AUTHOR = 512;
export const MAX_PROPERTIES = 100;
export const MAX_PROPERTY_KEY = 256;
export const MAX_PROPERTY_VALUE = 4096;

export function checkMessage(message: string, field = 'message'): string {
  if (message.length > MAX_MESSAGE) throw new InvalidInput(`${field} is longer than ${MAX_MESSAGE} characters`, field);
  return message;
}

export function checkProperties(props: unknown, field = 'properties'): Record<string, string> {
  if (props == null) return {};
  if (typeof props !== 'object' || Array.isArray(props)) throw new InvalidInput(`${field} must be an object of strings`, field);
  const entries = Object.entries(props as Record<string, unknown>);
  if (entries.length > MAX_PROPERTIES) throw new InvalidInput(`${field} has more than ${MAX_PROPERTIES} entries`, field);
  for (const [k, v] of entries) {
    if (k.length === 0 || k.length > MAX_PROPERTY_KEY) throw new InvalidInput(`${field} keys must be 1..${MAX_PROPERTY_KEY} characters`, field);
    if (typeof v !== 'string') throw new InvalidInput(`${field}.${k} must be a string`, field);
    if (v.length > MAX_PROPERTY_VALUE) throw new InvalidInput(`${field}.${k} is longer than ${MAX_PROPERTY_VALUE} characters`, field);
  }
  return Object.fromEntries(entries) as Record<string, string>;
}
