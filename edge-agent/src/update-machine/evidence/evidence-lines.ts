import {
  EVIDENCE_MAX_BYTES,
  EVIDENCE_MAX_LINE_CHARS,
  EVIDENCE_MAX_LINES,
  utf8Length,
} from '@opcfleet/contracts';
import { redact } from './redaction';

export interface EvidenceBounds {
  maxLines: number;
  /** UTF-8 bytes of the kept lines together. */
  maxBytes: number;
  maxLineChars: number;
}

/** The contract's bounds (libs/contracts failure-evidence.ts): what the service accepts. */
export const CONTRACT_BOUNDS: EvidenceBounds = {
  maxLines: EVIDENCE_MAX_LINES,
  maxBytes: EVIDENCE_MAX_BYTES,
  maxLineChars: EVIDENCE_MAX_LINE_CHARS,
};

/** Terminal escapes (colours, cursor moves): a log viewer on the device would have eaten them. */
// eslint-disable-next-line no-control-regex
const ANSI_ESCAPES = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/g;
/** Control characters but tab and line feed. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/g;

/** Log text as plain lines: terminal escapes and control characters gone, no empty last line. */
export function plainLines(text: string): string[] {
  const lines = text
    .replace(ANSI_ESCAPES, '')
    .replace(/\r\n/g, '\n')
    .replace(CONTROL, '')
    .split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** A line cut to `max` characters, ending with `…`, never in the middle of a surrogate pair. */
function cutLine(line: string, max: number): string {
  if (line.length <= max) return line;
  let end = max - 1;
  const last = line.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${line.slice(0, end)}…`;
}

/**
 * The newest lines that fit the bounds, oldest first; `truncated` when a line was left out or
 * cut.
 */
export function keepNewest(
  lines: readonly string[],
  bounds: EvidenceBounds = CONTRACT_BOUNDS,
): { lines: string[]; truncated: boolean } {
  const kept: string[] = [];
  let bytes = 0;
  let truncated = false;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = cutLine(lines[i]!, bounds.maxLineChars);
    const size = utf8Length(line);
    if (kept.length >= bounds.maxLines || bytes + size > bounds.maxBytes) {
      truncated = true;
      break;
    }
    if (line !== lines[i]) truncated = true;
    kept.push(line);
    bytes += size;
  }
  return { lines: kept.reverse(), truncated };
}

/**
 * One source of evidence as it may leave the device: plain lines, redacted as one text (so a
 * secret spanning lines is caught), then the newest that fit the bounds.
 */
export function evidenceLines(
  text: string,
  redaction: readonly RegExp[],
  bounds: EvidenceBounds = CONTRACT_BOUNDS,
): { lines: string[]; truncated: boolean } {
  const lines = plainLines(text);
  if (lines.length === 0) return { lines: [], truncated: false };
  return keepNewest(redact(lines.join('\n'), redaction).split('\n'), bounds);
}
