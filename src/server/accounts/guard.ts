import type { FastifyRequest } from "fastify";
import type { Role, User } from "../../shared/contracts/accounts.ts";
import { AppError } from "../platform/errors.ts";

declare module "fastify" {
  interface FastifyRequest {
    user: User | null;
  }
}

export function requireUser(req: FastifyRequest): User {
  if (!req.user) throw new AppError("unauthenticated");
  return req.user;
}

export function requireRole(req: FastifyRequest, ...roles: Role[]): User {
  const user = requireUser(req);
  if (!roles.includes(user.role)) throw new AppError("forbidden");
  return user;
}

/** Merchant staff (or an admin acting for a merchant) and the merchant id they act for. */
export function requireMerchant(req: FastifyRequest): User & { merchantId: string } {
  const user = requireRole(req, "merchant", "admin");
  if (!user.merchantId) throw new AppError("forbidden", "This account does not belong to a merchant.");
  return user as User & { merchantId: string };
}
