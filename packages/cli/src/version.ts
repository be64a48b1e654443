import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The packages' version: they are not published, so it does not move with the code. */
export const VERSION = '0.1.0';

/**
 * What `stowage --version` prints: the version, and where the code runs from a git checkout (the
 * way Stowage is installed), the commit and its date, which upgrading.md's sections are named by.
 * Only for --version: it asks git, which every other command need not wait for.
 */
export function versionText(): string {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  if (!existsSync(join(root, '.git'))) return VERSION;
  try {
    const [commit, date] = execFileSync('git', ['-C', root, 'log', '-1', '--format=%h %cs'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5_000 }).trim().split(' ');
    return commit && date ? `${VERSION} (commit ${commit} of ${date})` : VERSION;
  } catch {
    // No git on the machine, or not a repository it reads.
    return VERSION;
  }
}
