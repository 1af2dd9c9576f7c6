import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { BinaryNotFoundError } from './errors.js';

export type ServerBinary = 'etcd' | 'redis-server';

// Debian installs servers under /usr/bin or /usr/sbin, which a minimal PATH may omit.
const FALLBACK_DIRS = ['/usr/bin', '/usr/sbin', '/usr/local/bin'];

const APT_PACKAGE: Partial<Record<string, string>> = {
  etcd: 'etcd-server',
  'redis-server': 'redis-server',
};

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Absolute path of a server binary; throws with the install command when it is missing. */
export function binaryPath(name: ServerBinary): string {
  const pathDirs = (process.env['PATH'] ?? '').split(delimiter).filter((d) => d.length > 0);
  for (const dir of [...pathDirs, ...FALLBACK_DIRS]) {
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  throw new BinaryNotFoundError(
    `${name} was not found on PATH or in ${FALLBACK_DIRS.join(', ')}; install it with: sudo apt-get install -y ${APT_PACKAGE[name] ?? name}`,
  );
}
