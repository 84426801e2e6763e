import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const LOOSE_FOLDER = /^[0-9a-f]{2}$/;
const LOOSE_OBJECT = /^[0-9a-f]{38}([0-9a-f]{24})?$/;
const PACK_FILE = /^pack-[0-9a-f]{40,64}\.(pack|idx|rev)$/;

/**
 * Copies the objects a confined agent's git wrote (its commits, blobs it staged) into the
 * repository's store, so that its branch and its worktree's index name objects the repository has.
 * Objects are named by their content: one that exists already is left alone, and nothing of the
 * repository's is replaced or removed. Each copy lands under a temporary name first, so a reader
 * never sees half an object. Returns how many files were added.
 */
export function adoptAgentObjects(privateDir: string, commonObjectsDir: string): number {
  if (!existsSync(privateDir)) return 0;
  let added = 0;
  for (const folder of readdirSync(privateDir)) {
    if (LOOSE_FOLDER.test(folder)) {
      for (const name of readdirSync(join(privateDir, folder))) {
        if (LOOSE_OBJECT.test(name) && copyIfMissing(join(privateDir, folder, name), join(commonObjectsDir, folder), name)) added++;
      }
    } else if (folder === 'pack') {
      // The index last: git finds a pack by its .idx.
      const names = readdirSync(join(privateDir, folder)).filter((n) => PACK_FILE.test(n));
      names.sort((a, b) => Number(a.endsWith('.idx')) - Number(b.endsWith('.idx')));
      for (const name of names) if (copyIfMissing(join(privateDir, folder, name), join(commonObjectsDir, 'pack'), name)) added++;
    }
  }
  return added;
}

function copyIfMissing(source: string, folder: string, name: string): boolean {
  const target = join(folder, name);
  if (existsSync(target)) return false;
  mkdirSync(folder, { recursive: true });
  const temp = join(folder, `tmp_nx_${process.pid}_${name}`);
  try {
    copyFileSync(source, temp);
    renameSync(temp, target);
    return true;
  } finally {
    rmSync(temp, { force: true });
  }
}
