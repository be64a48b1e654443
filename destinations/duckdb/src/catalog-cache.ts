import type { Column } from '@stowage/core';

/** Every schema's tables and their columns, by schema, names folded as DuckDB compares them (`foldName`). */
export type Catalog = Map<string, Map<string, Column[]>>;

/** A name as DuckDB compares names: without regard to the case of ASCII letters (introspect.ts). */
export const foldName = (name: string): string => name.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());

/**
 * Any statement that may change the catalog: conservative (a word in a name or a literal counts
 * too), since a change missed would have a writer plan against columns that are not there.
 */
const MAY_CHANGE_CATALOG = /\b(CREATE|ALTER|DROP|RENAME|ATTACH|DETACH|COMMENT|IMPORT)\b/i;

export const mayChangeCatalog = (sql: string): boolean => MAY_CHANGE_CATALOG.test(sql);

/** Per schema, per table, the columns whose type must not change, each with why (`Driver.pinnedColumns`); names folded. */
export type PinnedCatalog = Map<string, Map<string, Map<string, string>>>;

/**
 * What the sessions of the process's instance on a database file last read of its catalog (the
 * tables and their columns; the columns whose type must not change), each read whole once and
 * kept until a session changes the catalog (`changed`). DuckDB lists a schema's columns by going
 * through every column of the database, whatever the filter: a sync of many spaces read one schema
 * at a time, each read costing as much as the whole catalog (200 spaces of 7 tables: ~70 ms a
 * read, two a space, and an empty sync took 25 s). No other process writes the file meanwhile
 * (DuckDB lets one process hold it), but for the moment a session lets go of it to renew the
 * instance (shared-instances.ts), after which the catalog is read again.
 */
export class CatalogCache {
  private generation = 0;
  private readonly kept = new Map<string, { generation: number; value: Promise<unknown> }>();

  /** A session changed the catalog, or may have (a statement that failed, a transaction rolled back). */
  changed(): void {
    this.generation++;
    this.kept.clear();
  }

  /** A schema's tables, from the catalog read by `read` unless kept since the last change: a copy of its own to change. */
  async schema(read: () => Promise<Catalog>, schema: string): Promise<Map<string, Column[]>> {
    const tables = (await this.reading('tables', read)).get(foldName(schema));
    return new Map([...(tables ?? [])].map(([table, columns]) => [table, copyColumns(columns)]));
  }

  /** A table's columns, as `schema` gives them; undefined for no such table. */
  async table(read: () => Promise<Catalog>, schema: string, table: string): Promise<Column[] | undefined> {
    const columns = (await this.reading('tables', read)).get(foldName(schema))?.get(foldName(table));
    return columns && copyColumns(columns);
  }

  /** A schema's pinned columns, read by `read` for every schema unless kept since the last change. */
  async pinned(read: () => Promise<PinnedCatalog>, schema: string): Promise<Map<string, Map<string, string>>> {
    const tables = (await this.reading('pinned', read)).get(foldName(schema));
    return new Map([...(tables ?? [])].map(([table, columns]) => [table, new Map(columns)]));
  }

  private reading<T>(what: string, read: () => Promise<T>): Promise<T> {
    let kept = this.kept.get(what);
    if (kept?.generation !== this.generation) {
      const value = read();
      const entry = { generation: this.generation, value };
      this.kept.set(what, (kept = entry));
      value.catch(() => {
        if (this.kept.get(what) === entry) this.kept.delete(what);
      });
    }
    return kept.value as Promise<T>;
  }
}

const copyColumns = (columns: readonly Column[]): Column[] => columns.map((c) => ({ ...c }));
