import { z } from "zod";
import { Id } from "../../shared/contracts/common.ts";
import { Creator, CreatorInput, CreatorPage, FollowState, HandleRef, VerifyCreatorBody } from "../../shared/contracts/creators.ts";
import type { Http } from "../platform/http.ts";
import { AppError, unwrap } from "../platform/errors.ts";
import { requireRole, requireUser } from "../accounts/guard.ts";
import type { Creators } from "./service.ts";

const HandleParams = z.object({ handle: HandleRef });

export function creatorsRoutes(app: Http, deps: { creators: Creators }) {
  const { creators } = deps;

  app.get("/api/v1/me/creator", { schema: { tags: ["creators"], summary: "Your creator profile", response: { 200: Creator } } }, async (req) => {
    const user = requireUser(req);
    const creator = await creators.byUser(user.id);
    if (!creator) throw new AppError("creator_profile_required");
    return creator;
  });

  app.post("/api/v1/me/creator", { schema: { tags: ["creators"], summary: "Turn on your creator profile", body: CreatorInput, response: { 201: Creator } } }, async (req, reply) => {
    const user = requireUser(req);
    const { creator } = unwrap(await creators.create(user.id, req.body));
    return reply.status(201).send(creator);
  });

  app.put("/api/v1/me/creator", { schema: { tags: ["creators"], summary: "Edit your creator profile", body: CreatorInput, response: { 200: Creator } } }, async (req) => {
    const user = requireUser(req);
    return unwrap(await creators.update(user.id, req.body)).creator;
  });

  app.get("/api/v1/creators/:handle", { schema: { tags: ["creators"], summary: "A creator's public page: profile, live, upcoming and past shows, followers", params: HandleParams, response: { 200: CreatorPage } } }, async (req) => {
    const page = await creators.page(req.params.handle, req.user?.id ?? null);
    if (!page) throw new AppError("not_found", "No such creator.");
    return page;
  });

  app.post("/api/v1/creators/:handle/follow", { schema: { tags: ["creators"], params: HandleParams, response: { 200: FollowState } } }, async (req) => {
    const user = requireUser(req);
    const { following, followerCount } = unwrap(await creators.follow(user.id, req.params.handle));
    return { following, followerCount };
  });

  app.delete("/api/v1/creators/:handle/follow", { schema: { tags: ["creators"], params: HandleParams, response: { 200: FollowState } } }, async (req) => {
    const user = requireUser(req);
    const { following, followerCount } = unwrap(await creators.unfollow(user.id, req.params.handle));
    return { following, followerCount };
  });

  app.post(
    "/api/v1/admin/creators/:creatorId/verify",
    { schema: { tags: ["creators"], summary: "Mark a creator verified (or not): admins only", params: z.object({ creatorId: Id }), body: VerifyCreatorBody.nullish(), response: { 200: Creator } } },
    async (req) => {
      const admin = requireRole(req, "admin");
      return unwrap(await creators.setVerified(req.params.creatorId, req.body?.verified ?? true, admin.id)).creator;
    },
  );
}
