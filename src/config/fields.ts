/**
 * Building blocks the concern models share: how a variable's text becomes a value, and how a
 * production requirement is stated.
 */
import { accessSync, constants } from 'node:fs';
import { z } from 'zod';

export const port = (fallback: number) =>
  z.coerce.number().int().min(0).max(65535).default(fallback);
/** A port, or `off` (or empty): no listener. */
export const portOrOff = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      if (text === 'off' || text === '') return null;
      const port = Number(text);
      if (Number.isInteger(port) && port >= 0 && port <= 65535) return port;
      ctx.addIssue({ code: 'custom', message: 'must be a port (0 to 65535) or off' });
      return z.NEVER;
    });
export const positiveInt = (fallback: number) =>
  z.coerce.number().int().positive().default(fallback);
/** Unset and empty are the same: no value. */
export const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === '' ? undefined : value));
/** `true` or `false`; unset or empty: `fallback`. */
export const flag = (fallback: boolean) =>
  optionalString
    .pipe(z.enum(['true', 'false']).optional())
    .transform((value) => (value === undefined ? fallback : value === 'true'));
/**
 * The path of a file this process can read (a CA certificate): checked here so a wrong path is
 * listed with the other problems before anything starts. The problem names the path (a file's
 * name is not a secret), never its contents.
 */
export const readableFile = z.string().superRefine((path, ctx) => {
  try {
    accessSync(path, constants.R_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    ctx.addIssue({ code: 'custom', message: `cannot read ${path} (${code})` });
  }
});
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
