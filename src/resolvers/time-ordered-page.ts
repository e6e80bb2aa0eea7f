import { badUserInput } from './errors.js';

/** A place in a list ordered by time, newest first, then by id: where a page resumes. */
export interface TimePosition {
  at: number;
  id: string;
}

/**
 * The cursors of a list ordered by (time, id), newest first (alert episodes, notification
 * deliveries): `<kind>:<epoch ms>:<uuid>` in base64url, so a cursor of one list is refused by
 * another.
 */
export function timeCursors(kind: string) {
  const pattern = new RegExp(`^${kind}:(\\d+):([0-9a-f-]{36})$`);
  return {
    encode: (position: TimePosition) =>
      Buffer.from(`${kind}:${position.at}:${position.id}`).toString('base64url'),
    decode(cursor: string): TimePosition {
      const match = pattern.exec(Buffer.from(cursor, 'base64url').toString());
      if (!match) throw badUserInput('after is not a valid cursor', 'after');
      return { at: Number(match[1]), id: match[2]! };
    },
  };
}

/**
 * A forward connection page from `first + 1` items read (the extra one only says whether more
 * follow).
 */
export function timeOrderedPage<T>(
  items: readonly T[],
  first: number,
  after: string | null | undefined,
  cursorOf: (item: T) => string,
) {
  const edges = items.slice(0, first).map((node) => ({ cursor: cursorOf(node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: items.length > first,
      hasPreviousPage: Boolean(after),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
