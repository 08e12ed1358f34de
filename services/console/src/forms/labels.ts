export type ParsedLabels =
  { ok: true; labels: Record<string, string> } | { ok: false; error: string };

/** `site=plant-7, line=A` -> labels; an empty text is no labels. */
export function parseLabels(text: string): ParsedLabels {
  const labels: Record<string, string> = {};
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const match = /^([^=\s]+)\s*=\s*(\S.*)$/.exec(part);
    if (!match) return { ok: false, error: `"${part}" is not key=value` };
    labels[match[1]] = match[2].trim();
  }
  return { ok: true, labels };
}
