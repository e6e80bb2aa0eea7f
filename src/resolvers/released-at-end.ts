/**
 * The stream as is, running `release` once it ends: done, failed, or returned by its reader.
 * A return releases at once, before anything is awaited (and even if the stream was never read):
 * graphql-ws returns the stream as it reads a client's `complete`, so a subscribe right behind it
 * on the same socket finds a subscription slot free. An object rather than an async generator
 * for the same reason: a generator would queue the reader's `return` behind a pending `next`,
 * which waits for the next event, so a quiet subscription would keep what it holds until
 * something happened on its devices.
 */
export function releasedAtEnd<T>(
  source: AsyncIterable<T>,
  release: () => void,
): AsyncIterableIterator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const settled = (step: Promise<IteratorResult<T>>) =>
    step.then(
      (result) => {
        if (result.done) release();
        return result;
      },
      (error: unknown) => {
        release();
        throw error;
      },
    );
  const stream: AsyncIterableIterator<T> = {
    next: () => settled(iterator.next()),
    return: (value?: unknown) => {
      release();
      return settled(
        iterator.return
          ? iterator.return(value)
          : Promise.resolve({ done: true, value: undefined }),
      );
    },
    throw: (error?: unknown) => {
      release();
      return settled(iterator.throw ? iterator.throw(error) : Promise.reject(error));
    },
    [Symbol.asyncIterator]: () => stream,
  };
  return stream;
}
