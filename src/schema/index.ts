/**
 * Reading JSON files through a zod schema, turning the first problem into a ConfigError that
 * names the file, the field and the reason in one line.
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ConfigError } from '../errors/index.js';

/** Dotted path with array indices: `devices.camera.width`, `features[2]`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

const requiredMessage = (issue: { code: string; input?: unknown }): string | undefined =>
  issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : undefined;

/** Validates `data` against `schema`, or throws a ConfigError naming `file` and the first bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, data: unknown, file: string): z.output<S> {
  const result = schema.safeParse(data, { error: requiredMessage });
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue === undefined) throw new ConfigError(file, '', 'invalid');
  if (issue.code === 'unrecognized_keys') {
    const field = fieldPath([...issue.path, issue.keys[0] ?? '']);
    return throwConfig(file, field, 'unknown field');
  }
  return throwConfig(file, fieldPath(issue.path), issue.message);
}

function throwConfig(file: string, field: string, reason: string): never {
  throw new ConfigError(file, field, reason);
}

/** Reads and parses a JSON file; unreadable files and bad JSON become ConfigErrors. */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, '', `cannot read: ${describeFsError(err)}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ConfigError(file, '', `not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** `ENOENT` and friends as a short phrase. */
export function describeFsError(err: unknown): string {
  if (err instanceof Error && 'code' in err) {
    switch (err.code) {
      case 'ENOENT':
        return 'no such file';
      case 'EACCES':
        return 'permission denied';
      case 'EISDIR':
        return 'is a directory';
      default:
        return String(err.code);
    }
  }
  return err instanceof Error ? err.message : String(err);
}

export function readJsonWithSchema<S extends z.ZodType>(schema: S, file: string): z.output<S> {
  return parseOrThrow(schema, readJsonFile(file), file);
}
