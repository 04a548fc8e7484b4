// The user's token, kept for this tab only (sessionStorage), and the one-time #token=… link.
const KEY = 'fleetwave.token';

export const token = (): string | null => sessionStorage.getItem(KEY);

export function saveToken(value: string): void {
  sessionStorage.setItem(KEY, value);
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}

/**
 * A link may carry the token as `#token=<token>`: it is kept, and removed from the address bar and the
 * history entry at once, so it is neither bookmarked nor shown over a shoulder.
 */
export function takeTokenFromFragment(): boolean {
  const match = /^#token=([^&]+)/.exec(location.hash);
  if (!match?.[1]) return false;
  saveToken(decodeURIComponent(match[1]));
  history.replaceState(history.state, '', `${location.pathname}${location.search}`);
  return true;
}
