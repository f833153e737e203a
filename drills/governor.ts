// Drills repeat the same fault on purpose, several times an hour on one service. With the governor's
// defaults the third remediation within an hour opens the recurring-remediation breaker and goes to a
// human (right in production: a problem that keeps coming back needs one), and the hourly action budget
// (6) runs out; drills raise both, as the benches do, so every run measures remediation rather than the
// breaker. The blast radius (maxInstanceShare) and every other bound stay at their defaults.
import { BENCH_GOVERNOR } from '../bench/recovery-summary';

export const DRILL_GOVERNOR = BENCH_GOVERNOR;
