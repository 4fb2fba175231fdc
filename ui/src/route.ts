// Hash routes (#/invocations/inv_…?status=FAILED): the api serves one page, so any view
// survives a reload, and filters live in the address.
import { useEffect, useState } from 'react';

interface Route {
  parts: string[];
  query: URLSearchParams;
}

function read(): Route {
  const [path = '', query = ''] = window.location.hash.replace(/^#\/?/, '').split('?', 2);
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export function href(...parts: string[]): string {
  return `#/${parts.map(encodeURIComponent).join('/')}`;
}

/** Replaces the query of the current route (filters), keeping its path. */
export function setQuery(values: Record<string, string | undefined>): void {
  const { parts } = read();
  const q = new URLSearchParams(Object.entries(values).filter((e): e is [string, string] => Boolean(e[1])));
  const text = q.toString();
  window.location.hash = `/${parts.map(encodeURIComponent).join('/')}${text ? `?${text}` : ''}`;
}
