import { z } from 'zod';

/**
 * What a device sends with a failed or rolled-back update so that "why did it roll back" is
 * answered without a shell on the device: the last lines of the new container's log and the
 * agent's own log lines for the job, both redacted on the device. The bounds hold for each
 * source; the agent cuts to them (oldest lines first) and says so with `truncated`.
 */
export const EVIDENCE_MAX_LINES = 50;
/** UTF-8 bytes of one source's lines together (without line breaks). */
export const EVIDENCE_MAX_BYTES = 8 * 1024;
/** Characters of one line; a longer one is cut and ends with `…`. */
export const EVIDENCE_MAX_LINE_CHARS = 1024;

/** UTF-8 length of a text, as Buffer.byteLength counts it, in the browser too. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

const utf8Bytes = (lines: readonly string[]) =>
  lines.reduce((sum, line) => sum + utf8Length(line), 0);

const evidenceLines = z
  .array(z.string().max(EVIDENCE_MAX_LINE_CHARS))
  .max(EVIDENCE_MAX_LINES)
  .refine((lines) => utf8Bytes(lines) <= EVIDENCE_MAX_BYTES, {
    error: `must be at most ${EVIDENCE_MAX_BYTES} bytes of UTF-8 together`,
  });

export const failureEvidenceSchema = z.object({
  /** The new container's last lines of stdout and stderr, oldest first. */
  workloadLog: evidenceLines,
  /** The agent's own log lines for the job, oldest first. */
  agentLog: evidenceLines,
  /** Lines were left out or cut to keep within the bounds. */
  truncated: z.boolean(),
  /** Why the container's log is missing or short (no container left, the engine refused). */
  workloadLogError: z.string().max(512).optional(),
});

export type FailureEvidence = z.infer<typeof failureEvidenceSchema>;
