import { z } from "zod";
import { Id } from "./common.ts";

export const Role = z.enum(["viewer", "host", "merchant", "admin"]);
export type Role = z.infer<typeof Role>;

export const Locale = z.enum(["en", "it"]);
export type Locale = z.infer<typeof Locale>;

export const User = z.object({
  id: Id,
  email: z.string().email(),
  displayName: z.string(),
  role: Role,
  merchantId: Id.nullable(),
  merchantName: z.string().nullable(),
  /** the merchant's default currency (a campaign's currency), for merchant staff; null otherwise */
  merchantCurrency: z.string().nullable(),
});
export type User = z.infer<typeof User>;

export const SignUpBody = z.object({
  email: z.string().trim().toLowerCase().email().max(254),
  password: z.string().min(8).max(200),
  displayName: z.string().trim().min(1).max(60),
});
export type SignUpBody = z.infer<typeof SignUpBody>;

export const SignInBody = z.object({
  email: z.string().trim().toLowerCase().email().max(254),
  password: z.string().min(1).max(200),
});
export type SignInBody = z.infer<typeof SignInBody>;

export const Me = z.object({ user: User.nullable() });
