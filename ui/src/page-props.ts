// What the shell (app.tsx) gives every page: its own module, so pages need not import the shell
// that imports them.
import type { Session, UiSettings } from './api.js';

export interface PageProps {
  namespace: string;
  session: Session;
  settings: UiSettings | undefined;
  /** The route's parts after the tab (e.g. a function's name). */
  args: string[];
  query: URLSearchParams;
}
