/**
 * MQTT topic filter matching (`+` one level, `#` the rest), for routing incoming messages to
 * the handler whose filter they matched: the broker tells which topic, not which filter.
 */
export function topicMatches(filter: string, topic: string): boolean {
  const filterLevels = filter.split('/');
  const topicLevels = topic.split('/');
  // `+` and `#` at the first level never match topics that start with `$` (MQTT 4.7.2).
  if (topic.startsWith('$') && (filterLevels[0] === '+' || filterLevels[0] === '#')) return false;
  for (let i = 0; i < filterLevels.length; i++) {
    const level = filterLevels[i];
    if (level === '#') return true;
    if (i >= topicLevels.length) return false;
    if (level !== '+' && level !== topicLevels[i]) return false;
  }
  return filterLevels.length === topicLevels.length;
}

/** `$share/{group}/{filter}`: the form MQTT 5 brokers expect for a shared subscription. */
export function sharedFilter(group: string, filter: string): string {
  if (!/^[^/+#]+$/.test(group)) {
    throw new Error(`shared subscription group ${JSON.stringify(group)} may not contain / + #`);
  }
  return `$share/${group}/${filter}`;
}
