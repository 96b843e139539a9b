import { createContext, type ComponentChildren } from "preact";
import { useCallback, useContext, useEffect, useMemo, useState } from "preact/hooks";
import type { User } from "../../src/shared/contracts/accounts.ts";
import { api } from "./api/endpoints.ts";

export interface Session {
  /** undefined while the first /me is on its way */
  user: User | null | undefined;
  setUser(u: User | null): void;
  signOut(): Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ComponentChildren }) {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  useEffect(() => {
    api.auth
      .me()
      .then((r) => setUser(r.user))
      .catch(() => setUser(null));
  }, []);
  const signOut = useCallback(async () => {
    await api.auth.signOut().catch(() => undefined);
    setUser(null);
  }, []);
  const value = useMemo(() => ({ user, setUser, signOut }), [user, signOut]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useSession outside SessionProvider");
  return s;
}

export const canHost = (u: User | null | undefined) => !!u && (u.role === "host" || u.role === "merchant" || u.role === "admin");
export const isMerchant = (u: User | null | undefined) => !!u && !!u.merchantId && (u.role === "merchant" || u.role === "admin");

/** Where the sign-in page should send someone back to. */
export function signInHref(next: string): string {
  return `/sign-in?next=${encodeURIComponent(next)}`;
}
