// The dashboard's entry: takes a #token= link, asks the API who the user is, shows the login form when it
// must, then the pages.
import { onUnauthorized } from './api';
import { loginForm, whoAmI } from './auth';
import { forgetToken, takeTokenFromFragment, token } from './auth-token';
import { h, replace } from './dom';
import { fleetPage } from './pages/fleet';
import { operationPage } from './pages/operation';
import { operationsPage } from './pages/operations';
import { planPage } from './pages/plan';
import { Router } from './router';
import type { Me, UiConfig } from './types';

const main = document.getElementById('main')!;
const nav = document.getElementById('nav')!;
const who = document.getElementById('who')!;
let router: Router | undefined;

async function loadConfig(): Promise<UiConfig> {
  try {
    const res = await fetch('/ui/config.json', { cache: 'no-store' });
    if (res.ok) return (await res.json()) as UiConfig;
  } catch {
    // the links to Temporal are left out
  }
  return { temporalUiUrl: null, namespace: 'default' };
}

function showLogin(notice?: string): void {
  router?.destroy();
  router = undefined;
  nav.hidden = true;
  replace(who);
  replace(
    main,
    loginForm((me) => void start(me), notice),
  );
}

function signOut(): void {
  forgetToken();
  showLogin('Signed out.');
}

let config: UiConfig | undefined;

async function start(me: Me): Promise<void> {
  config ??= await loadConfig();
  nav.hidden = false;
  replace(
    who,
    h('span', { 'data-identity': me.identity, 'data-role': me.role }, `${me.identity} (${me.role})`),
    // Open mode has no token to forget.
    token() ? h('button', { type: 'button', class: 'link', onclick: signOut }, 'Sign out') : null,
  );
  router = new Router(
    [
      { pattern: /^\/ui\/?$/, page: fleetPage, nav: 'fleet' },
      { pattern: /^\/ui\/operations\/?$/, page: operationsPage, nav: 'operations' },
      { pattern: /^\/ui\/operations\/([^/]+)\/?$/, page: operationPage, nav: 'operations' },
      { pattern: /^\/ui\/plan\/?$/, page: planPage, nav: 'plan' },
    ],
    { me, config, root: main },
  );
  router.start();
}

async function boot(): Promise<void> {
  takeTokenFromFragment();
  onUnauthorized(() => {
    forgetToken();
    showLogin('The API did not accept the token: sign in again.');
  });
  const me = await whoAmI();
  if (me) await start(me);
  else showLogin(token() ? 'The API does not know this token.' : undefined);
}

boot().catch((err: unknown) => {
  replace(main, h('p', { class: 'notice', role: 'alert' }, `The dashboard could not start: ${String(err)}`));
});
