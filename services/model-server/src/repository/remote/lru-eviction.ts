/** A complete version in the cache, as eviction sees it. */
export interface CachedVersionInfo {
  readonly model: string;
  readonly version: number;
  readonly bytes: number;
  /** When it was last chosen to serve (or completed), in ms since the epoch. */
  readonly lastUsedMs: number;
}

/**
 * The versions to evict, least recently used first, so that `needBytes` more fit within
 * `maxBytes`; pinned ones (served, or wanted by this sync) are never chosen.
 *
 * @returns the versions to evict (empty when it already fits), or undefined when evicting
 *   every unpinned version would still not make room.
 */
export function chooseEvictions(
  cached: readonly CachedVersionInfo[],
  isPinned: (version: CachedVersionInfo) => boolean,
  needBytes: number,
  maxBytes: number,
): CachedVersionInfo[] | undefined {
  let used = cached.reduce((sum, version) => sum + version.bytes, 0);
  if (used + needBytes <= maxBytes) return [];
  const candidates = cached
    .filter((version) => !isPinned(version))
    .sort((a, b) => a.lastUsedMs - b.lastUsedMs || a.model.localeCompare(b.model) || a.version - b.version);
  const evicted: CachedVersionInfo[] = [];
  for (const candidate of candidates) {
    if (used + needBytes <= maxBytes) break;
    evicted.push(candidate);
    used -= candidate.bytes;
  }
  return used + needBytes <= maxBytes ? evicted : undefined;
}
