import { InputRefusedError } from '../ports/input-refused.js';

export interface RefusedItem<Item> {
  item: Item;
  error: InputRefusedError;
}

/**
 * Runs `run` on all the items; when it fails because of the input itself (InputRefusedError),
 * runs it again on each half, down to the single items that fail on their own, and returns
 * those: a refusal that recurs on every retry then costs its own items, never the batch's other
 * items (other devices, other organizations). About 2·log2(n) extra runs per poison item. Any
 * other failure may pass (an outage), so it is thrown for the whole batch to be retried.
 * `run` must be idempotent: the items of a failed half are run again.
 */
export async function isolateRefusedInput<Item>(
  items: readonly Item[],
  run: (items: readonly Item[]) => Promise<unknown>,
): Promise<RefusedItem<Item>[]> {
  if (items.length === 0) return [];
  try {
    await run(items);
    return [];
  } catch (error) {
    if (!(error instanceof InputRefusedError)) throw error;
    if (items.length === 1) return [{ item: items[0]!, error }];
    const middle = Math.ceil(items.length / 2);
    return [
      ...(await isolateRefusedInput(items.slice(0, middle), run)),
      ...(await isolateRefusedInput(items.slice(middle), run)),
    ];
  }
}
