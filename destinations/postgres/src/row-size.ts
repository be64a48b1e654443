import { rowValue, type Column, type RowLimit } from '@stowage/core';

/** Heap tuples fit one 8 KB page: MaxHeapTupleSize, the "maximum size" of "row is too big". */
const MAX_TUPLE_BYTES = 8160;
/** HeapTupleHeaderData before its null bitmap. */
const TUPLE_HEADER_BYTES = 23;
/** A table has at most 1,600 columns (dropped ones too): the most a null bitmap takes. */
const MAX_BITMAP_BYTES = 200;
/**
 * A text value longer than this (its 1-byte header included) can be compressed or moved out of
 * line, and is once the row is over the toast target: the toaster only takes a value bigger than
 * the 18-byte pointer that replaces it, rounded up to 8.
 */
const INLINE_MAX = 24;
/** The 18-byte pointer a value moved out of line leaves in the row (unaligned: 1-byte header). */
const POINTER_BYTES = 18;
/**
 * A compressed value the toaster keeps inline: no bigger than 24 bytes (or it is moved out of
 * line), its 4-byte header aligned to 4. Its 8 bytes of headers leave 16 of compressed data,
 * which hold at most 16 literal bytes whatever the method (pglz or lz4): text with more distinct
 * bytes than that is never kept so.
 */
const COMPRESSED_INLINE_MAX = 24;
const COMPRESSED_MAX_DISTINCT_BYTES = 16;

/** Whether text could compress to 16 bytes: it has at most that many distinct bytes (UTF-8). */
function mayCompressInline(value: string): boolean {
  const seen = new Set<number>();
  for (const byte of Buffer.from(value, 'utf8')) {
    seen.add(byte);
    if (seen.size > COMPRESSED_MAX_DISTINCT_BYTES) return false;
  }
  return true;
}

const align = (offset: number, to: number) => Math.ceil(offset / to) * to;

/**
 * PostgreSQL's bound on a row, and `heap_compute_data_size`'s reckoning of it taken from above:
 * the header and the largest null bitmap, then each non-null value in column order with its
 * alignment. A short text value is stored inline with a 1-byte header; a longer one leaves the
 * out-of-line pointer, or at most 24 bytes if it may compress that far; a jsonb value (whose
 * binary size its text does not tell) is counted as the most it can take inline. Checked against
 * the server in `row-size.test.ts`.
 */
export const rowLimit: RowLimit = {
  maxBytes: MAX_TUPLE_BYTES,
  // A compressed value after a 1-byte one: 3 bytes of padding and 24 of value.
  maxValueBytes: 3 + COMPRESSED_INLINE_MAX,
  maxOverheadBytes: align(TUPLE_HEADER_BYTES + MAX_BITMAP_BYTES, 8),
  rowBytes(columns: readonly Column[], row: Readonly<Record<string, unknown>>): number {
    // The bitmap of a full table: a later row of the batch may add columns, and every row's
    // bitmap covers them all.
    let offset = align(TUPLE_HEADER_BYTES + MAX_BITMAP_BYTES, 8);
    for (const { name, type } of columns) {
      const value = rowValue(row, name);
      if (value === null || value === undefined) continue;
      switch (type) {
        case 'boolean':
          offset += 1;
          break;
        case 'bigint':
        case 'double':
        case 'timestamp':
          offset = align(offset, 8) + 8;
          break;
        case 'string': {
          const text = String(value);
          const inline = 1 + Buffer.byteLength(text, 'utf8');
          if (inline <= INLINE_MAX) offset += inline;
          else offset = mayCompressInline(text) ? align(offset, 4) + COMPRESSED_INLINE_MAX : offset + POINTER_BYTES;
          break;
        }
        case 'json':
          // Inline or compressed, at most 24 bytes aligned to 4; bigger, the pointer.
          offset = align(offset, 4) + COMPRESSED_INLINE_MAX;
          break;
      }
    }
    return offset;
  },
};
