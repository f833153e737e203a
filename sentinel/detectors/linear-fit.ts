// Ordinary least squares over (x, y) points. The memory detector needs both the slope (how fast) and
// the coefficient of determination (how steadily): a GC sawtooth can have a slope but never a good fit.

export interface LinearFit {
  slope: number;
  intercept: number;
  /** Coefficient of determination in [0, 1]; 1 when every point lies on the line. */
  r2: number;
}

export function linearFit(points: ReadonlyArray<{ x: number; y: number }>): LinearFit | null {
  const n = points.length;
  if (n < 2) return null;
  const meanX = points.reduce((s, p) => s + p.x, 0) / n;
  const meanY = points.reduce((s, p) => s + p.y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const p of points) {
    sxx += (p.x - meanX) ** 2;
    sxy += (p.x - meanX) * (p.y - meanY);
    syy += (p.y - meanY) ** 2;
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  // A perfectly flat series is explained completely by its (zero-slope) line.
  const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
  return { slope, intercept: meanY - slope * meanX, r2 };
}
