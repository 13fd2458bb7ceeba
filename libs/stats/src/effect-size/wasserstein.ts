/**
 * First Wasserstein distance between two samples, the integral of |F_u(t) - F_v(t)| over t:
 * scipy.stats.wasserstein_distance(u, v) without weights. `uSorted` must be ascending (the
 * detectors sort the reference once at fit); `v` is copied and sorted here.
 */
export function wassersteinDistance(uSorted: Float64Array, v: ArrayLike<number>): number {
  const vSorted = Float64Array.from(v).sort();
  const n = uSorted.length;
  const m = vSorted.length;
  let i = 0;
  let j = 0;
  let previous = Math.min(uSorted[0]!, vSorted[0]!);
  let total = 0;
  // Sweep the merged sorted values; between consecutive ones both CDFs are constant.
  while (i < n || j < m) {
    const next = j >= m || (i < n && uSorted[i]! <= vSorted[j]!) ? uSorted[i]! : vSorted[j]!;
    total += Math.abs(i / n - j / m) * (next - previous);
    while (i < n && uSorted[i]! === next) i++;
    while (j < m && vSorted[j]! === next) j++;
    previous = next;
  }
  return total;
}
