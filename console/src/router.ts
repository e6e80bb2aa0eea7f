import { useEffect, useState } from 'preact/hooks';

/** Where the console is: the URL fragment (`#/devices/<id>`), so every view has a link. */
export const currentRoute = (): string[] =>
  location.hash.replace(/^#\/?/, '').split('?')[0]!.split('/').filter(Boolean);

/** The route, followed as it changes. */
export function useRoute(): string[] {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const changed = () => setRoute(currentRoute());
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}

export const href = (...parts: string[]) => `#/${parts.map(encodeURIComponent).join('/')}`;
