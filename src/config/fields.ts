/**
 * Building blocks the concern models share: how a variable's text becomes a value, and how a
 * production requirement is stated.
 */
import { z } from 'zod';

export const port = (fallback: number) =>
  z.coerce.number().int().min(0).max(65535).default(fallback);
export const positiveInt = (fallback: number) =>
  z.coerce.number().int().positive().default(fallback);
/** Unset and empty are the same: no value. */
export const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === '' ? undefined : value));
/** Comma-separated, blanks dropped, at least one item. */
export const list = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string()).min(1));

/** A setting a production process cannot start without, and what is missing. */
export interface Missing {
  /** The variable the problem is reported under. */
  setting: string;
  problem: string;
}

/**
 * What a production process needs from one concern, checked on the raw environment (`given`: set
 * and not empty) rather than refined on the parsed one: zod 4 skips a refinement once any field
 * has failed, so a typo in one setting would hide every missing one until the next run. A value
 * that is given but bad is the model's to report, once.
 */
export type Requirement = (given: (key: string) => boolean) => Missing[];

/** Each of `keys`, variables of the model whose input is `Env`, must be given. */
export const requireAll =
  <Env>(...keys: (keyof Env & string)[]): Requirement =>
  (given) =>
    keys.filter((key) => !given(key)).map((setting) => ({ setting, problem: 'is required' }));
