/** A file COPY must load: its `s3://` address and size in bytes. */
export interface ManifestEntry {
  url: string;
  bytes: number;
}

/**
 * A COPY manifest: the exact files to load, each mandatory. COPY from a plain prefix would load
 * every object whose key starts with it (`load-1` also names `load-10`), and would load nothing,
 * without an error, from a file that is not there.
 */
export function manifest(entries: readonly ManifestEntry[]): string {
  return JSON.stringify({ entries: entries.map((e) => ({ url: e.url, mandatory: true, meta: { content_length: e.bytes } })) });
}
