import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Permission } from './generated/graphql';

/** What the signed-in caller may do (Query.viewer): the console offers nothing else. */
export const Permissions = createContext<ReadonlySet<Permission>>(new Set());

export function useCan(permission: Permission): boolean {
  return useContext(Permissions).has(permission);
}
