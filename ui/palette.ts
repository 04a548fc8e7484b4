// Run state colours: the Okabe–Ito palette, which stays distinguishable with the common colour-vision
// deficiencies (its black for a cluster the fleet guard holds back), plus two greys. The legend always
// names each state in words too.
import type { RunState } from '../domain/states';

export const RUN_COLOURS: Record<RunState, string> = {
  pending: '#c8c8c8',
  waiting_window: '#f0e442',
  waiting_lease: '#e69f00',
  waiting_guard: '#000000',
  applying: '#56b4e9',
  monitoring: '#0072b2',
  succeeded: '#009e73',
  failed: '#d55e00',
  rolled_back: '#cc79a7',
  skipped: '#555555',
};
