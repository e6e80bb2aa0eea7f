/**
 * Thrown by an adapter when its engine refused the input itself (for PostgreSQL: a data
 * exception or an integrity violation), so sending the same input again fails the same way.
 * Callers never retry it: the pipeline sets the points concerned aside (dead letters) and goes
 * on with the rest; the API answers BAD_USER_INPUT. Anything else an adapter throws may pass
 * (an engine down, a timeout) and is retried. See docs/architecture.md, "Poison input".
 */
export class InputRefusedError extends Error {
  override name = 'InputRefusedError';
}
