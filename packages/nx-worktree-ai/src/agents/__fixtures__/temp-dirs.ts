import { removeDir, tempDir } from '@testing/temp';

/** Makes fresh temp folders for one spec file, all removed after it (call at the top of the file). */
export function tempDirs(prefix: string): () => string {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach(removeDir));
  return () => {
    const dir = tempDir(prefix);
    dirs.push(dir);
    return dir;
  };
}
