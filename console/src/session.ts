/**
 * The caller's credential, a JWT or an API key, kept for this browser tab only (sessionStorage):
 * gone when the tab closes, never in a cookie, never sent anywhere but the API's Authorization
 * header. A sign-in link carries it in the URL fragment (`#token=…`), which browsers never send
 * to a server, so it reaches no server log; it is moved into the session and wiped from the URL.
 */
const KEY = 'iot-console-token';

export function takeTokenFromFragment(): void {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!match) return;
  sessionStorage.setItem(KEY, decodeURIComponent(match[1]!));
  history.replaceState(null, '', `${location.pathname}${location.search}#/`);
}

export function currentToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function signIn(token: string): void {
  sessionStorage.setItem(KEY, token.trim().replace(/^Bearer\s+/i, ''));
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
}
