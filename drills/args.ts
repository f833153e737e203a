// The command line of `npm run drill`, parsed without side effects (unit-tested).
export const DEFAULT_BASELINE_LIMIT_MS = 30_000;

export interface DrillArgs {
  names: string[];
  runs: number | null;
  json: boolean;
  baseline: boolean;
  baselineLimitMs: number;
}

export function parseArgs(argv: string[]): DrillArgs {
  const args: DrillArgs = { names: [], runs: null, json: false, baseline: true, baselineLimitMs: DEFAULT_BASELINE_LIMIT_MS };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--runs') {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1) throw new Error('--runs must be a positive integer');
      args.runs = n;
    } else if (a === '--json') args.json = true;
    else if (a === '--no-baseline') args.baseline = false;
    else if (a === '--baseline-limit') {
      const s = Number(value());
      if (!(s > 0)) throw new Error('--baseline-limit must be a number of seconds > 0');
      args.baselineLimitMs = s * 1000;
    } else if (a.startsWith('--')) throw new Error(`unknown option ${a} (known: --runs N, --json, --no-baseline, --baseline-limit S)`);
    else args.names.push(a);
  }
  return args;
}
