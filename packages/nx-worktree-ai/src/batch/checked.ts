import * as z from 'zod';

/** A string refused with "<what is allowed> (<problem>)" when `problem` finds one (batch/names.ts). */
export function checkedString(problem: (value: string) => string | null, allowed: string) {
  return z
    .string()
    .min(1)
    .superRefine((value, ctx) => {
      const found = problem(value);
      if (found) ctx.addIssue({ code: 'custom', message: `${allowed} (this one ${found})` });
    });
}
