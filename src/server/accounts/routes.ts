import { z } from "zod";
import { Me, SignInBody, SignUpBody, User } from "../../shared/contracts/accounts.ts";
import { Ok } from "../../shared/contracts/common.ts";
import type { Http } from "../platform/http.ts";
import { unwrap } from "../platform/errors.ts";
import { SESSION_COOKIE, type Accounts } from "./service.ts";

export function accountsRoutes(app: Http, accounts: Accounts, opts: { cookieSecure: boolean }) {
  app.decorateRequest("user", null);
  app.addHook("onRequest", async (req) => {
    req.user = await accounts.userForSession(req.cookies[SESSION_COOKIE]);
  });

  const setSession = (reply: any, token: string, expiresAt: number) =>
    reply.setCookie(SESSION_COOKIE, token, {
      path: "/",
      httpOnly: true,
      sameSite: "lax",
      secure: opts.cookieSecure,
      expires: new Date(expiresAt),
    });

  app.post("/api/v1/auth/sign-up", { schema: { tags: ["accounts"], body: SignUpBody, response: { 201: z.object({ user: User }) } } }, async (req, reply) => {
    unwrap(await accounts.signUp(req.body));
    const { user, token, expiresAt } = unwrap(await accounts.signIn(req.body.email, req.body.password));
    setSession(reply, token, expiresAt);
    return reply.status(201).send({ user });
  });

  app.post("/api/v1/auth/sign-in", { schema: { tags: ["accounts"], body: SignInBody, response: { 200: z.object({ user: User }) } } }, async (req, reply) => {
    const { user, token, expiresAt } = unwrap(await accounts.signIn(req.body.email, req.body.password));
    setSession(reply, token, expiresAt);
    return { user };
  });

  app.post("/api/v1/auth/sign-out", { schema: { tags: ["accounts"], response: { 200: Ok } } }, async (req, reply) => {
    const token = req.cookies[SESSION_COOKIE];
    if (token) await accounts.signOut(token);
    reply.clearCookie(SESSION_COOKIE, { path: "/" });
    return { ok: true as const };
  });

  app.get("/api/v1/me", { schema: { tags: ["accounts"], response: { 200: Me } } }, async (req) => ({ user: req.user }));
}
