/**
 * Environment variables as zod schemas: each variable is declared once (name,
 * type, range, default) in a shape, a process reads the shapes it needs in one
 * `readEnv` at start-up, and every problem is reported at once, one line each,
 * naming the variable (never the value of a URL or secret).
 */
import { z } from 'zod';

/** A configuration problem a person must fix; its message says what to set. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type Env = Readonly<Record<string, string | undefined>>;

/** The variables of one concern (or one process), by name. */
export type EnvShape = Readonly<Record<string, z.ZodType>>;
export type EnvValues<S extends EnvShape> = { readonly [K in keyof S]: z.output<S[K]> };

/** Unset and blank are the same: the default applies. */
const blank = (value: unknown) => (typeof value === 'string' && value.trim() ? value.trim() : undefined);
const raw = z.preprocess(blank, z.string().optional());
/** `{raw}` in a message stands for the value as set (only where it is not secret). */
const RAW = '{raw}';

const withDefault = (fallback: string) => raw.transform((value) => value ?? fallback);

function parsedUrl(protocols: readonly string[]) {
  return (value: string, ctx: z.RefinementCtx): URL => {
    if (!URL.canParse(value)) {
      ctx.addIssue({ code: 'custom', message: ` is not a valid URL (expected ${protocols[0]}//…)` });
      return z.NEVER;
    }
    const url = new URL(value);
    if (!protocols.includes(url.protocol)) {
      ctx.addIssue({ code: 'custom', message: ` must start with ${protocols.map((p) => `${p}//`).join(' or ')}` });
      return z.NEVER;
    }
    return url;
  };
}

/** A string that must be set; `why` tells what it is. */
const required = (why: string) => z.preprocess(blank, z.string({ error: ` is not set: ${why}` }));

/** Schemas for one variable each. */
export const variable = {
  /** A string, undefined when unset. */
  text: () => raw,
  /** A string, `fallback` when unset. */
  textOr: (fallback: string) => withDefault(fallback),
  required,
  /** A TCP port, 0 meaning "any free port". */
  port: (fallback: number) => {
    const error = `="${RAW}" is not a port number (0-65535)`;
    return withDefault(String(fallback)).pipe(
      z.coerce.number<string>({ error }).int({ error }).min(0, { error }).max(65_535, { error }),
    );
  },
  /** A whole number within [min, max]. */
  int: (fallback: number, min: number, max: number) => {
    const error = `="${RAW}" must be a whole number from ${min} to ${max}`;
    return withDefault(String(fallback)).pipe(
      z.coerce.number<string>({ error }).int({ error }).min(min, { error }).max(max, { error }),
    );
  },
  /** One of a fixed set of values. */
  oneOf: <T extends string>(allowed: readonly [T, ...T[]], fallback: T) =>
    withDefault(fallback).pipe(z.enum(allowed, { error: `="${RAW}" must be one of: ${allowed.join(', ')}` })),
  /** `true` or `false`; undefined when unset (the default depends on something else). */
  flag: () =>
    raw
      .pipe(z.enum(['true', 'false'], { error: `="${RAW}" must be one of: true, false` }).optional())
      .transform((value) => (value === undefined ? undefined : value === 'true')),
  /** A URL with one of `protocols`, undefined when unset. */
  url: (protocols: readonly string[]) =>
    raw.transform((value, ctx) => (value === undefined ? undefined : parsedUrl(protocols)(value, ctx))),
  /** A URL with one of `protocols`, `fallback` when unset. */
  urlOr: (protocols: readonly string[], fallback: string) => withDefault(fallback).transform(parsedUrl(protocols)),
  /** A URL with one of `protocols` that must be set; `why` tells what it is. */
  requiredUrl: (protocols: readonly string[], why: string) => required(why).transform(parsedUrl(protocols)),
  /** A comma-separated list, `fallback` when unset. */
  list: (fallback: readonly string[]) =>
    withDefault(fallback.join(',')).transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    ),
};

/** A shape of one variable whose name is computed (`PYXIS_URL`), keeping its type. */
export const named = <K extends string, T extends z.ZodType>(key: K, schema: T) =>
  ({ [key]: schema }) as { readonly [P in K]: T };

/** The variables of `shape`, parsed; a ConfigError listing every problem otherwise. */
export function readEnv<S extends EnvShape>(shape: S, env: Env = process.env): EnvValues<S> {
  const result = z.object(shape).safeParse(env);
  if (result.success) return Object.freeze(result.data) as EnvValues<S>;
  const lines = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '');
    return `${name}${issue.message.replace(RAW, env[name]?.trim() ?? '')}`;
  });
  throw new ConfigError(lines.join('\n'));
}

/** One variable read on its own (tools and benchmarks; services read their shapes with `readEnv`). */
function readVariable<T extends z.ZodType>(name: string, schema: T, env: Env = process.env): z.output<T> {
  return readEnv({ [name]: schema }, env)[name] as z.output<T>;
}

/** Single variables by name, for tools, tests and benchmarks (a service declares shapes). */
export class EnvReader {
  constructor(private readonly env: Env = process.env) {}

  string(name: string, fallback: string): string;
  string(name: string): string | undefined;
  string(name: string, fallback?: string): string | undefined {
    return readVariable(name, fallback === undefined ? variable.text() : variable.textOr(fallback), this.env);
  }

  int(name: string, fallback: number, min: number, max: number): number {
    return readVariable(name, variable.int(fallback, min, max), this.env);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    return readVariable(name, variable.oneOf(allowed as unknown as [T, ...T[]], fallback), this.env) as T;
  }

  url(name: string, protocols: readonly string[]): URL | undefined {
    return readVariable(name, variable.url(protocols), this.env);
  }
}
