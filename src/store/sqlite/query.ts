import type { Query, Update } from '../types.js';

/**
 * The query and update subset both backends share (src/store/types.ts), for SQLite documents
 * stored as JSON text in a `doc` column with the `_id` in `id`. Filters become SQL over
 * `json_extract(doc, '$.field')`, the same expression the indexes are made on, so the planner
 * uses them; updates are applied to the parsed document inside the write's transaction.
 */

export type SqlValue = string | number | null;

/** A field name as SQLite's JSON path (`a.b` → `$."a"."b"`), as a SQL string literal. */
export function fieldExpr(field: string): string {
  if (field === '_id') return 'id';
  return `json_extract(doc, ${pathLiteral(field)})`;
}

// The fields queried are few and fixed (the code's own names): each literal is made once.
const pathLiterals = new Map<string, string>();
function pathLiteral(field: string): string {
  let literal = pathLiterals.get(field);
  if (literal === undefined) {
    if (pathLiterals.size >= 1_000) pathLiterals.clear();
    pathLiterals.set(field, (literal = makePathLiteral(field)));
  }
  return literal;
}

function makePathLiteral(field: string): string {
  const path = `$${field
    .split('.')
    .map((p) => `."${p.replace(/"/g, '""')}"`)
    .join('')}`;
  return `'${path.replace(/'/g, "''")}'`;
}

/** `json_type(doc, '$.field')`: the expression `$exists` tests (and a partial index's `present`). */
export const typeExpr = (field: string) => (field === '_id' ? `'text'` : `json_type(doc, ${pathLiteral(field)})`);

/** SQLite has no boolean: json_extract gives 1/0 for true/false, so a boolean is matched by its JSON type. */
function equals(field: string, value: unknown, params: SqlValue[]): string {
  if (value === null || value === undefined) return `${fieldExpr(field)} IS NULL`;
  if (typeof value === 'boolean') return `${typeExpr(field)} = '${value ? 'true' : 'false'}'`;
  if (typeof value === 'string' || typeof value === 'number') {
    params.push(value);
    return `${fieldExpr(field)} = ?`;
  }
  throw new Error(`store query: unsupported value for ${field}: ${JSON.stringify(value)}`);
}

function compare(field: string, op: string, value: unknown, params: SqlValue[]): string {
  const sqlOp = { $lt: '<', $lte: '<=', $gt: '>', $gte: '>=' }[op];
  if (sqlOp) {
    if (typeof value !== 'string' && typeof value !== 'number')
      throw new Error(`store query: ${op} needs a string or number for ${field}`);
    params.push(value);
    // Like MongoDB, a comparison only matches values of the same type.
    return `(${fieldExpr(field)} ${sqlOp} ? AND ${typeExpr(field)} IN (${typeof value === 'string' ? `'text'` : `'integer','real'`}))`;
  }
  if (op === '$in') {
    if (!Array.isArray(value)) throw new Error(`store query: $in needs an array for ${field}`);
    if (!value.length) return '0';
    return `(${value.map((v) => equals(field, v, params)).join(' OR ')})`;
  }
  // Like MongoDB, $ne also matches a document without the field.
  if (op === '$ne') return `NOT coalesce((${equals(field, value, params)}), 0)`;
  if (op === '$exists') return `${typeExpr(field)} IS ${value ? 'NOT NULL' : 'NULL'}`;
  throw new Error(`store query: unsupported operator ${op}`);
}

/**
 * A range with a text lower and a text upper bound and nothing else (`{$gte: 'a', $lt: 'b'}`), as
 * comparisons of the indexed expression alone: SQLite orders every number (and JSON true/false, which
 * it gives as 1/0) and NULL before any text, so `x >= 'a'` already excludes them and the type test
 * `compare` adds would only make an index that holds `x` unable to answer alone.
 */
function textRange(field: string, cond: Record<string, unknown>, params: SqlValue[]): string | undefined {
  const ops = Object.keys(cond);
  const lower = ops.find((o) => o === '$gt' || o === '$gte');
  const upper = ops.find((o) => o === '$lt' || o === '$lte');
  if (ops.length !== 2 || !lower || !upper || field === '_id') return undefined;
  if (typeof cond[lower] !== 'string' || typeof cond[upper] !== 'string') return undefined;
  params.push(cond[lower] as string, cond[upper] as string);
  const sql = (op: string) => ({ $lt: '<', $lte: '<=', $gt: '>', $gte: '>=' })[op];
  return `(${fieldExpr(field)} ${sql(lower)} ? AND ${fieldExpr(field)} ${sql(upper)} ?)`;
}

const isOperators = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).every((k) => k.startsWith('$'));

/** `WHERE` text and its parameters for a query (`{}` matches everything). @throws Error for an unsupported shape (a bug) */
export function whereClause(query: Query, params: SqlValue[] = []): { sql: string; params: SqlValue[] } {
  const parts: string[] = [];
  for (const [key, cond] of Object.entries(query)) {
    if (key === '$or' || key === '$and') {
      const subs = (cond as Query[]).map((q) => `(${whereClause(q, params).sql})`);
      parts.push(subs.length ? `(${subs.join(key === '$or' ? ' OR ' : ' AND ')})` : key === '$or' ? '0' : '1');
    } else if (isOperators(cond) && Object.keys(cond).length) {
      const range = textRange(key, cond, params);
      if (range) parts.push(range);
      else for (const [op, v] of Object.entries(cond)) parts.push(compare(key, op, v, params));
    } else {
      parts.push(equals(key, cond, params));
    }
  }
  return { sql: parts.length ? parts.join(' AND ') : '1', params };
}

/** `ORDER BY` text for a sort spec (`_id` last as the tie-break, so the order is stable). */
export function orderClause(sort: Record<string, 1 | -1> | undefined): string {
  const keys = Object.entries(sort ?? {}).map(([f, d]) => `${fieldExpr(f)} ${d === -1 ? 'DESC' : 'ASC'}`);
  return `ORDER BY ${[...keys, 'id ASC'].join(', ')}`;
}

/** Applies `$set`, `$unset` and `$inc` (dotted paths create objects on the way) to a copy of `doc`. */
export function applyUpdate<T extends Record<string, unknown>>(doc: T, update: Update): T {
  const out = structuredClone(doc) as Record<string, unknown>;
  const walk = (path: string, create: boolean): [Record<string, unknown>, string] | undefined => {
    const parts = path.split('.');
    let cur = out;
    for (const p of parts.slice(0, -1)) {
      const next = cur[p];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) {
        if (!create) return undefined;
        cur[p] = {};
      }
      cur = cur[p] as Record<string, unknown>;
    }
    return [cur, parts.at(-1)!];
  };
  for (const [path, value] of Object.entries(update.$set ?? {})) {
    const [obj, key] = walk(path, true)!;
    obj[key] = structuredClone(value);
  }
  for (const path of Object.keys(update.$unset ?? {})) {
    const at = walk(path, false);
    if (at) delete at[0][at[1]];
  }
  for (const [path, by] of Object.entries(update.$inc ?? {})) {
    const [obj, key] = walk(path, true)!;
    obj[key] = (typeof obj[key] === 'number' ? (obj[key] as number) : 0) + by;
  }
  return out as T;
}

/** The fields an upsert starts from: the query's plain equalities (`{_id: 'x', status: 'a'}`). */
export function upsertBase(query: Query): Record<string, unknown> {
  const base: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(query)) if (!k.startsWith('$') && !isOperators(v)) base[k] = v;
  return base;
}
