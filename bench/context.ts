/** What every benchmark suite is given. */
import type { LoadOptions } from './lib/load.js';

export interface BenchContext {
  /** A scratch directory for manifests and components. */
  dir: string;
  /** The repository's root. */
  root: string;
  /** The built benchmark app (`bench/app`), whose build/ holds the JS components. */
  appDir: string;
  /** The compiled `bench/` directory, for child-process entry points. */
  distBench: string;
  /** Transpile cache shared by the Spindle processes of one run. */
  cacheDir: string;
  redisUrl: string;
  load: LoadOptions;
  progress(line: string): void;
}
