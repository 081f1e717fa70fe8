import type { EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { ServiceContext } from './context';
import { affectedRows } from './transaction';

/**
 * SQL for the hot paths (the batched join, claim, launch and buy-alone), built from the entity's own
 * TypeORM metadata but without its query builder. The builder names every value (`:orm_param_N`)
 * and then rewrites the whole statement with one regular expression per parameter and property, so
 * a multi-row INSERT of a batch's orders (20-odd columns × rows) cost more CPU in the API than the
 * statement cost MariaDB; a `manager.insert` may also read the row back for its defaults. Here the
 * statement text is built once per entity and column set, values are bound with `?`, and every value
 * goes through the driver's own conversions (`preparePersistentValue` / `prepareHydratedValue`,
 * which apply column transformers too), so what is written and read is exactly what TypeORM would.
 */

interface Shape {
  table: string;
  /** Insertable columns, in metadata order. */
  insertable: ColumnMetadata[];
  /** Selectable columns and the SELECT list naming them. */
  selectable: ColumnMetadata[];
  selectList: string;
  /** INSERT heads by the set of columns a batch gives values for. */
  heads: Map<string, string>;
  /** Column subsets a caller selects, by their property names. */
  picks: Map<string, { cols: ColumnMetadata[]; list: string }>;
}

const shapes = new WeakMap<EntityMetadata, Shape>();

const q = (name: string) => `\`${name.replace(/`/g, '``')}\``;

function shapeOf(tx: ServiceContext, entity: EntityTarget<ObjectLiteral>): { meta: EntityMetadata; shape: Shape } {
  const meta = tx.manager.connection.getMetadata(entity);
  let shape = shapes.get(meta);
  if (!shape) {
    const selectable = meta.columns.filter((c) => c.isSelect && !c.isVirtual);
    shape = {
      table: q(meta.tableName),
      insertable: meta.columns.filter((c) => c.isInsert && !c.isVirtual),
      selectable,
      selectList: selectable.map((c) => q(c.databaseName)).join(', '),
      heads: new Map(),
      picks: new Map(),
    };
    shapes.set(meta, shape);
  }
  return { meta, shape };
}

/**
 * ONE multi-row INSERT of `rows` into the entity's table. A column no row gives a value for is left
 * out (its database default applies); a row without a value where others have one gets `DEFAULT`,
 * as TypeORM's INSERT does. Returns the first generated id and the rows written; nothing is read back.
 */
export async function insertRows<E extends ObjectLiteral>(
  tx: ServiceContext,
  entity: EntityTarget<E>,
  rows: ReadonlyArray<QueryDeepPartialEntity<E>>,
): Promise<{ insertId: number; affectedRows: number }> {
  if (!rows.length) return { insertId: 0, affectedRows: 0 };
  const { shape } = shapeOf(tx, entity);
  const driver = tx.manager.connection.driver;
  const cols = shape.insertable.filter((c) => rows.some((r) => c.getEntityValue(r) !== undefined));
  const key = cols.map((c) => c.databaseName).join(',');
  let head = shape.heads.get(key);
  if (!head) shape.heads.set(key, (head = `INSERT INTO ${shape.table} (${cols.map((c) => q(c.databaseName)).join(', ')}) VALUES `));
  const params: unknown[] = [];
  const tuples: string[] = [];
  for (const r of rows) {
    const marks: string[] = [];
    for (const c of cols) {
      const v = c.getEntityValue(r);
      if (v === undefined) marks.push('DEFAULT');
      else {
        marks.push('?');
        params.push(driver.preparePersistentValue(v, c));
      }
    }
    tuples.push(`(${marks.join(', ')})`);
  }
  const res: unknown = await tx.manager.query(head + tuples.join(', '), params);
  return { insertId: Number((res as { insertId?: number }).insertId ?? 0), affectedRows: affectedRows(res) };
}

/**
 * Entities of the table that match `where` (SQL on the table's own column names, `?` bound to
 * `params`), hydrated as TypeORM's `find` hydrates them: every selectable column, converted by the
 * driver and the column's transformer (`columns`: only those properties). `forUpdate` locks the rows
 * (callers order them, e.g. `id`).
 */
export async function selectRows<E extends ObjectLiteral>(
  tx: ServiceContext,
  entity: EntityTarget<E>,
  where: string,
  params: readonly unknown[],
  opts: { columns?: ReadonlyArray<keyof E & string>; orderBy?: string; forUpdate?: boolean } = {},
): Promise<E[]> {
  const { meta, shape } = shapeOf(tx, entity);
  const driver = tx.manager.connection.driver;
  const { cols, list } = opts.columns ? pick(shape, opts.columns) : { cols: shape.selectable, list: shape.selectList };
  const sql = `SELECT ${list} FROM ${shape.table} WHERE ${where}${opts.orderBy ? ` ORDER BY ${opts.orderBy}` : ''}${opts.forUpdate ? ' FOR UPDATE' : ''}`;
  const raw: Array<Record<string, unknown>> = await tx.manager.query(sql, params as unknown[]);
  return raw.map((r) => {
    const e = meta.create() as E;
    for (const c of cols) c.setEntityValue(e, driver.prepareHydratedValue(r[c.databaseName], c));
    return e;
  });
}

/** Some of the selectable columns, by property name (a typo fails loudly, at the first call). */
function pick(shape: Shape, props: readonly string[]): { cols: ColumnMetadata[]; list: string } {
  const key = props.join(',');
  let found = shape.picks.get(key);
  if (!found) {
    const cols = props.map((p) => {
      const c = shape.selectable.find((x) => x.propertyName === p);
      if (!c) throw new Error(`${shape.table}: no selectable column ${p}`);
      return c;
    });
    shape.picks.set(key, (found = { cols, list: cols.map((c) => q(c.databaseName)).join(', ') }));
  }
  return found;
}

/** `(?, ?, …)` for an IN list of `n` values (callers never pass an empty list). */
export function inList(n: number): string {
  return `(${Array(n).fill('?').join(', ')})`;
}

/**
 * How the server numbers the rows of ONE multi-row INSERT: InnoDB's `innodb_autoinc_lock_mode` 0 and 1
 * (MariaDB's default, "consecutive") give a simple insert consecutive ids — first, first + step, …
 * with step `auto_increment_increment` — while 2 (MySQL 8's default, "interleaved") promises nothing.
 * Read once per data source; `null`: not promised (callers read their ids back instead).
 */
const idSteps = new WeakMap<object, Promise<number | null>>();

async function consecutiveStep(tx: ServiceContext): Promise<number | null> {
  const ds = tx.manager.connection;
  let step = idSteps.get(ds);
  if (!step) {
    step = ds
      .query('SELECT @@GLOBAL.innodb_autoinc_lock_mode AS mode, @@SESSION.auto_increment_increment AS step')
      .then((rows: Array<{ mode: number | string; step: number | string }>) => (Number(rows[0]?.mode) <= 1 ? Number(rows[0]?.step) || null : null));
    idSteps.set(ds, step);
  }
  return step;
}

/** Tests force the numbering (`null`: the interleaved case; `undefined`: ask the server again) to exercise both paths on one server. */
export function setIdNumberingForTests(ds: object, step: number | null | undefined): void {
  if (step === undefined) idSteps.delete(ds);
  else idSteps.set(ds, Promise.resolve(step));
}

/**
 * The ids `insertRows` just gave its `n` rows, in row order, when the server promises consecutive
 * numbering (see `consecutiveStep`) — no read-back, so one statement less in every batch — or `null`
 * when it does not (the caller reads them back by values only its transaction can be writing).
 */
export async function insertedIds(tx: ServiceContext, res: { insertId: number; affectedRows: number }, n: number): Promise<number[] | null> {
  if (res.affectedRows !== n) throw new Error(`insert wrote ${res.affectedRows} of ${n} rows`);
  if (!res.insertId) throw new Error('INSERT returned no insertId');
  const step = await consecutiveStep(tx);
  return step === null ? null : Array.from({ length: n }, (_, i) => res.insertId + i * step);
}
