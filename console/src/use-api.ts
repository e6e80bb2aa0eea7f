import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, query } from './client';
import type { TypedDocumentString } from './generated/graphql';

export interface Loaded<T> {
  data?: T;
  error?: ApiError;
  loading: boolean;
  reload: () => void;
}

/**
 * A query run when the view opens and whenever its variables change; not at all with `skip`
 * (what the caller may not read is not asked for).
 */
export function useQuery<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
  options: { skip?: boolean } = {},
): Loaded<TResult> {
  const skip = options.skip ?? false;
  const key = JSON.stringify(variables);
  const [state, setState] = useState<{ data?: TResult; error?: ApiError; loading: boolean }>({
    loading: !skip,
  });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    if (skip) return;
    let current = true;
    setState((previous) => ({ ...previous, loading: true }));
    query(document, JSON.parse(key) as TVariables).then(
      (data) => current && setState({ data, loading: false }),
      (error: unknown) =>
        current &&
        setState({
          error: error instanceof ApiError ? error : new ApiError(String(error)),
          loading: false,
        }),
    );
    return () => {
      current = false;
    };
  }, [document, key, generation, skip]);
  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  return { ...state, reload };
}

/**
 * Runs an action (a mutation): on success `onDone` (reload what it changed), on refusal the
 * API's words are kept for an <ErrorNote>, cleared by the next success.
 */
export function useAction(onDone: () => void = () => {}) {
  const [error, setError] = useState<ApiError>();
  const run = async (work: () => Promise<unknown>) => {
    try {
      await work();
      setError(undefined);
      onDone();
    } catch (caught) {
      setError(caught instanceof ApiError ? caught : new ApiError(String(caught)));
    }
  };
  return { error, run };
}
