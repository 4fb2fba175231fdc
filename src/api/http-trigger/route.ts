// Which function a trigger URL names: /function/<name>[.<namespace>][/<sub-path>] (sync) and
// /async-function/… (202 at once). Function names have no dots, so `name.namespace` (OpenFaaS's
// own form) is unambiguous; without one the namespace is `default`. Pure.

export interface TriggerRoute {
  async: boolean;
  name: string;
  namespace: string;
  /** What follows the function in the path, as sent (`/` when nothing does). */
  subPath: string;
}

const PREFIX = /^\/(async-)?function(?:\/|$)/;
const NAME = /^[a-z][a-z0-9_-]{0,62}$/;
const NAMESPACE = /^[a-z][a-z0-9-]{0,62}$/;

export function isTriggerPath(path: string): boolean {
  return PREFIX.test(path);
}

/** The route, or what is wrong with the path (a 400). */
export function parseTriggerRoute(path: string): TriggerRoute | { problem: string } {
  const prefix = PREFIX.exec(path);
  if (!prefix) return { problem: 'not a function URL' };
  const rest = path.slice(prefix[0].length);
  const slash = rest.indexOf('/');
  const head = slash < 0 ? rest : rest.slice(0, slash);
  const subPath = slash < 0 ? '/' : rest.slice(slash);
  if (!head) return { problem: 'the URL names no function: /function/<name>[.<namespace>][/<path>]' };
  const dot = head.indexOf('.');
  const name = dot < 0 ? head : head.slice(0, dot);
  const namespace = dot < 0 ? 'default' : head.slice(dot + 1);
  if (!NAME.test(name)) return { problem: `'${name.slice(0, 80)}' is not a function name (lowercase letters, digits, _ and -, starting with a letter)` };
  if (!NAMESPACE.test(namespace)) return { problem: `'${namespace.slice(0, 80)}' is not a namespace (lowercase letters, digits and -, starting with a letter)` };
  return { async: prefix[1] !== undefined, name, namespace, subPath };
}
