// Who the user is (GET /v1/me) and the login form. In open mode the API answers /v1/me without a token,
// so no form shows; a token the API refuses brings the form back with a word on why.
import { h } from './dom';
import { forgetToken, saveToken, token } from './auth-token';
import type { Me } from './types';

/** The principal, or null when the API wants a (valid) token. */
export async function whoAmI(): Promise<Me | null> {
  const current = token();
  const res = await fetch('/v1/me', {
    headers: current ? { authorization: `Bearer ${current}`, accept: 'application/json' } : {},
    cache: 'no-store',
  });
  if (res.status === 401) return null;
  if (!res.ok) throw new Error(`the API answered ${res.status} to GET /v1/me`);
  return (await res.json()) as Me;
}

/** The token form; `onSignedIn` runs once the API accepts the token. */
export function loginForm(onSignedIn: (me: Me) => void, notice?: string): HTMLElement {
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    required: true,
    'aria-describedby': 'login-help',
  });
  const message = h('p', { class: 'notice', role: 'alert', 'data-login-message': true }, notice ?? '');
  const form = h(
    'form',
    { class: 'login', 'data-login': true },
    h('h1', {}, 'Sign in'),
    h('label', { for: 'token' }, 'API token'),
    input,
    h(
      'p',
      { id: 'login-help', class: 'muted' },
      'One of the tokens in the API’s FLEET_API_TOKENS. It stays in this tab only and is sent to this API alone.',
    ),
    h('button', { type: 'submit' }, 'Sign in'),
    message,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = input.value.trim();
    if (!value) return;
    saveToken(value);
    message.textContent = 'Checking…';
    whoAmI().then(
      (me) => {
        if (me) return onSignedIn(me);
        forgetToken();
        message.textContent = 'The API does not know this token.';
        input.select();
      },
      (err: unknown) => {
        message.textContent = err instanceof Error ? err.message : String(err);
      },
    );
  });
  queueMicrotask(() => input.focus());
  return form;
}
