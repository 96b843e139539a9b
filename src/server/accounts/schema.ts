import type { Role } from "../../shared/contracts/accounts.ts";

export interface AccountsTables {
  merchants: { id: string; name: string; default_currency: string; created_at: number };
  users: {
    id: string;
    email: string;
    display_name: string;
    password_hash: string;
    role: Role;
    merchant_id: string | null;
    created_at: number;
  };
  sessions: { token_hash: string; user_id: string; created_at: number; expires_at: number };
}
