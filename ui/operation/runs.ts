// Every run of the operation, page by page (GET …/clusters?limit=1000&cursor=…): loaded when asked, at
// most once every two seconds, one load at a time, and once more if asked again while loading.
import { getAllPages } from '../api';
import type { Run } from '../types';

const MIN_INTERVAL_MS = 2000;

export class RunsLoader {
  private loading = false;
  private again = false;
  private lastStart = 0;
  private timer: number | undefined;
  private readonly aborter = new AbortController();

  constructor(
    private readonly operationId: string,
    private readonly onRuns: (runs: Run[]) => void,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Asks for fresh runs: now, or as soon as the interval allows. */
  request(): void {
    if (this.aborter.signal.aborted) return;
    if (this.loading) {
      this.again = true;
      return;
    }
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastStart + MIN_INTERVAL_MS - Date.now());
    this.timer = window.setTimeout(() => {
      this.timer = undefined;
      void this.load();
    }, wait);
  }

  stop(): void {
    this.aborter.abort();
    window.clearTimeout(this.timer);
  }

  private async load(): Promise<void> {
    this.loading = true;
    this.again = false;
    this.lastStart = Date.now();
    try {
      const { items } = await getAllPages<Run>(
        `/v1/operations/${encodeURIComponent(this.operationId)}/clusters?limit=1000`,
        'runs',
        { signal: this.aborter.signal },
      );
      if (!this.aborter.signal.aborted) this.onRuns(items);
    } catch (err) {
      if (!this.aborter.signal.aborted) this.onError(err);
    } finally {
      this.loading = false;
    }
    if (this.again) this.request();
  }
}
