import { ValidationError } from '../core/errors.js';
import { assertKeyPart } from '../core/validation.js';

/**
 * Identities a limiter answers for in process, without a round trip: a list or set of
 * identities (looked up in a `Set`), or a function for anything else (prefixes, CIDR ranges,
 * a flag your app keeps up to date).
 */
export type IdentityList = readonly string[] | ReadonlySet<string> | ((identity: string) => boolean);

/** Turns an {@link IdentityList} option into one test, validating listed identities as a check would. */
export function identityMatcher(field: string, list: IdentityList | undefined): ((identity: string) => boolean) | undefined {
  if (list === undefined) return undefined;
  if (typeof list === 'function') return list;
  if (!Array.isArray(list) && !(list instanceof Set)) {
    throw new ValidationError(field, 'must be an array or Set of identities, or a function');
  }
  const set = new Set<string>();
  for (const identity of list) {
    assertKeyPart(`${field}[]`, identity);
    set.add(identity);
  }
  // An empty list is no list: no lookup per check.
  // Stryker disable next-line ConditionalExpression: equivalent, a matcher of an empty set answers false for every identity, as no matcher does; it only saves a lookup
  if (set.size === 0) return undefined;
  return (identity) => set.has(identity);
}
