/** The Euler-Mascheroni constant (numpy's `np.euler_gamma`). */
const EULER_GAMMA = 0.5772156649015329;

/**
 * Average path length of an unsuccessful search in a binary search tree built on `n` points,
 * c(n) = 2 (ln(n - 1) + gamma) - 2 (n - 1) / n, with c(n) = 0 for n <= 1 and c(2) = 1:
 * scikit-learn's `_average_path_length` (Liu et al. 2008's normaliser). A leaf still holding
 * `n` training points adds c(n) to the depth at which a point lands in it.
 */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}
