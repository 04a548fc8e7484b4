// A recording AdapterContext for adapter tests: collects heartbeats, lets a test abort mid-call.
import type { AdapterContext } from '../../adapters/types';

export function recordingContext(onBeat?: (details: unknown, controller: AbortController) => void) {
  const beats: any[] = [];
  const controller = new AbortController();
  const ctx: AdapterContext = {
    heartbeat: (details) => {
      beats.push(details);
      onBeat?.(details, controller);
    },
    signal: controller.signal,
  };
  return { beats, controller, ctx };
}
