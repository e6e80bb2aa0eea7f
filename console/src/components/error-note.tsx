import type { ApiError } from '../client';

/** An error the API returned, in words, with its code: never swallowed. */
export function ErrorNote({ error }: { error?: ApiError | null }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {error.message}
      {error.code ? <code> ({error.code})</code> : null}
    </p>
  );
}
