const spec = process.env.STOWAGE_FAILPOINT;
const [wanted, nth] = spec ? [spec.replace(/:\d+$/, ''), Number(/:(\d+)$/.exec(spec)?.[1] ?? 1)] : [undefined, 0];
let hits = 0;

/**
 * Named crash points for the crash tests (as etcd's gofail or FreeBSD's fail(9)): when
 * `STOWAGE_FAILPOINT=<name>[:<n>]` is set, the process kills itself with SIGKILL the n-th time it
 * passes `name`. Inert otherwise: one string comparison.
 */
export function failpoint(name: string): void {
  if (name !== wanted) return;
  if (++hits === nth) process.kill(process.pid, 'SIGKILL');
}
