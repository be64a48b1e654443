// What every benchmark script shares: one child process per phase (so that each peak RSS the
// kernel reports belongs to that phase alone), and the name of the code measured.
import { execFileSync, fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Runs one phase in a fresh Node process (`worker` answers with `servePhases`); resolves to its answer. */
export function runChild(worker, job) {
  return new Promise((resolve, reject) => {
    // BENCH_CHILD_ARGS: Node options for the phases (a CPU profile: `--cpu-prof --cpu-prof-dir=DIR`).
    const execArgv = (process.env.BENCH_CHILD_ARGS ?? '').split(/\s+/).filter(Boolean);
    const child = fork(worker, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let answer;
    child.once('message', (m) => (answer = m));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (!answer) return reject(new Error(`${job.role} child exited (code ${code}, signal ${signal}) without an answer`));
      if (!answer.ok) return reject(new Error(`${job.role} child failed: ${answer.error}`));
      resolve(answer);
    });
    child.send(job);
  });
}

/** In a worker: runs the phase the parent asks for and answers with its result and peak RSS. */
export function servePhases(roles) {
  process.once('message', async (job) => {
    let answer;
    try {
      answer = { ok: true, ...(await roles[job.role](job)) };
    } catch (error) {
      answer = { ok: false, error: error?.stack ?? String(error) };
    }
    answer.maxRssMB = process.resourceUsage().maxRSS / 1024;
    // Exit only once the answer is out: DuckDB's handles would otherwise keep the child alive.
    process.send(answer, () => process.exit(0));
  });
}

/** Which code was measured: the commit, and whether the library had uncommitted changes. */
export function describeCode() {
  const git = (...args) => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const dirty = git('status', '--porcelain', '--', 'packages', 'destinations') !== '';
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' + uncommitted changes in packages/ or destinations/' : ''}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}
