/** The part of s3rver (which ships no types) the tests use. */
declare module 's3rver' {
  export default class S3rver {
    constructor(options: { address?: string; port?: number; silent?: boolean; directory: string; configureBuckets?: Array<{ name: string }> });
    run(): Promise<unknown>;
    close(): Promise<void>;
  }
}
