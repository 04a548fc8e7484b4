// Pages by path under /ui/, history without page loads, and a clean stop of the page being left.
import type { Page, PageContext } from './types';

export interface Route {
  pattern: RegExp;
  page: Page;
  /** Which entry of the navigation bar is current. */
  nav: string;
}

export class Router {
  private stop: (() => void) | void = undefined;
  private readonly onPop = () => this.render();
  private readonly onClick = (event: MouseEvent) => this.follow(event);

  constructor(
    private readonly routes: Route[],
    private readonly context: Omit<PageContext, 'params' | 'query' | 'navigate'>,
  ) {}

  start(): void {
    window.addEventListener('popstate', this.onPop);
    document.addEventListener('click', this.onClick);
    this.render();
  }

  /** Leaves the page and stops following links (the login form replaces the pages). */
  destroy(): void {
    window.removeEventListener('popstate', this.onPop);
    document.removeEventListener('click', this.onClick);
    this.leave();
  }

  navigate(url: string): void {
    history.pushState(null, '', url);
    this.render();
  }

  /** Leaves the current page (its streams and timers stop). */
  leave(): void {
    const stop = this.stop;
    this.stop = undefined;
    if (stop) stop();
  }

  render(): void {
    this.leave();
    const path = location.pathname;
    const route = this.routes.find((r) => r.pattern.test(path));
    for (const a of document.querySelectorAll<HTMLAnchorElement>('#nav a')) {
      if (route && a.dataset.nav === route.nav) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    const root = this.context.root;
    root.replaceChildren();
    if (!route) {
      root.append('This page does not exist. ');
      return;
    }
    const params = (route.pattern.exec(path) ?? []).slice(1).map((p) => decodeURIComponent(p));
    this.stop = route.page({
      ...this.context,
      params,
      query: new URLSearchParams(location.search),
      navigate: (url) => this.navigate(url),
    });
  }

  /** A plain click on a link into /ui/ changes the page here instead of loading it again. */
  private follow(event: MouseEvent): void {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    const a = (event.target as Element | null)?.closest('a');
    if (!a || a.target || a.hasAttribute('download')) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || !url.pathname.startsWith('/ui/') || url.pathname.startsWith('/ui/assets/'))
      return;
    event.preventDefault();
    this.navigate(`${url.pathname}${url.search}`);
  }
}
