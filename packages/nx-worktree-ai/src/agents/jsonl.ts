import { isRecord, type Json } from './json';
import type { AgentEvent, LineParser } from './types';

/** One line of a JSON event stream: an object with a string `type`. */
export type TypedEvent = Json & { type: string };

export interface JsonLinesHooks {
  /** Sees each line that is not a typed event (gemini's `-o json` document is many such lines). */
  other?: (line: string) => void;
  /** Called once after the process ended (see LineParser). */
  end?: () => AgentEvent[];
}

/**
 * The line parser every JSON-lines CLI shares: a blank line gives nothing; a line that is not a JSON
 * object with a string `type`, or that `handle` throws on, is one unknown event; a throwing `end`
 * gives nothing. So no transcript, however broken, can stop a run's progress.
 */
export function jsonLinesParser(handle: (event: TypedEvent, line: string) => AgentEvent[], hooks: JsonLinesHooks = {}): LineParser {
  const parse = (line: string): AgentEvent[] => {
    if (line.trim() === '') return [];
    try {
      const event = typedEvent(line);
      if (event) return handle(event, line);
      hooks.other?.(line);
    } catch {
      // a field of an unexpected shape: the line stays in the transcript as unknown
    }
    return [{ kind: 'unknown', line }];
  };
  const end = hooks.end;
  if (!end) return parse;
  return Object.assign(parse, {
    end: (): AgentEvent[] => {
      try {
        return end();
      } catch {
        return [];
      }
    },
  });
}

function typedEvent(line: string): TypedEvent | null {
  let event: unknown;
  try {
    event = JSON.parse(line);
  } catch {
    return null;
  }
  return isRecord(event) && typeof event.type === 'string' ? (event as TypedEvent) : null;
}
