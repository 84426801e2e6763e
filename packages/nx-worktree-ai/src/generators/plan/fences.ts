/** A fenced code block of a markdown file: its info string (```json dispatch -> "json dispatch"), body and line. */
export interface FencedBlock {
  info: string;
  text: string;
  /** 1-based line of the opening fence. */
  line: number;
  closed: boolean;
}

const OPEN = /^ {0,3}(`{3,}|~{3,})[ \t]*([^`]*?)[ \t]*$/;

/** The fenced code blocks of a markdown text, in order (a fence closes with the same character, at least as long). */
export function fencedBlocks(text: string): FencedBlock[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const blocks: FencedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = OPEN.exec(lines[i]);
    if (!open) continue;
    const fence = open[1];
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const t = lines[j].trim();
      if (t.length >= fence.length && t[0] === fence[0] && /^(`+|~+)$/.test(t)) break;
      body.push(lines[j]);
    }
    blocks.push({ info: open[2].replace(/[ \t]+/g, ' ').toLowerCase(), text: body.join('\n'), line: i + 1, closed: j < lines.length });
    i = j;
  }
  return blocks;
}

/** A ```json dispatch block: the Agent Dispatch Manifest cast-parallel and cast-exec read. */
export const isDispatchBlock = (b: FencedBlock): boolean => b.info === 'json dispatch';

/**
 * A ```json block (not tagged dispatch) that holds a manifest (an object with "batches"): CAST's
 * spec shows manifests so, but cast-parallel and cast-exec read only a ```json dispatch block.
 */
export function untaggedManifest(text: string): FencedBlock | null {
  for (const block of fencedBlocks(text)) {
    if (block.info !== 'json') continue;
    try {
      const data: unknown = JSON.parse(block.text);
      if (data && typeof data === 'object' && 'batches' in data) return block;
    } catch {
      // Not JSON: an ordinary code block.
    }
  }
  return null;
}
