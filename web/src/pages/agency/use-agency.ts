import { useEffect, useState } from "preact/hooks";
import type { User } from "../../../../src/shared/contracts/accounts.ts";
import { api } from "../../api/endpoints.ts";

/** Dispatched on window when the signed-in user has just created an agency. */
export const AGENCY_CREATED_EVENT = "vetrina:agency-created";

/** Whether the signed-in user staffs an agency (the header shows the Agency link only then). */
export function useHasAgency(user: User | null | undefined): boolean {
  const [has, setHas] = useState(false);
  useEffect(() => {
    setHas(false);
    if (!user) return;
    const ac = new AbortController();
    api.agency.mine(ac.signal).then(
      () => !ac.signal.aborted && setHas(true),
      () => undefined,
    );
    const created = () => setHas(true);
    window.addEventListener(AGENCY_CREATED_EVENT, created);
    return () => {
      ac.abort();
      window.removeEventListener(AGENCY_CREATED_EVENT, created);
    };
  }, [user?.id]);
  return has;
}
