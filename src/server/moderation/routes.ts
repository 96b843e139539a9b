import { z } from "zod";
import { Id, Ok } from "../../shared/contracts/common.ts";
import {
  AddModeratorBody,
  LiftSanctionQuery,
  ModerationSettings,
  ModerationSettingsInput,
  Moderator,
  Sanction,
  SanctionInput,
} from "../../shared/contracts/moderation.ts";
import type { Http } from "../platform/http.ts";
import { unwrap } from "../platform/errors.ts";
import { requireUser } from "../accounts/guard.ts";
import type { Moderation } from "./service.ts";

const ShowParams = z.object({ showId: Id });
const tags = ["moderation"];

/**
 * GET/PUT  /api/v1/shows/:showId/moderation                     the room's rules (slow mode, banned words)
 * GET/POST /api/v1/shows/:showId/moderation/sanctions           active mutes and bans; mute or ban someone
 * DELETE   /api/v1/shows/:showId/moderation/sanctions/:userId   lift a mute or a ban (?kind=mute|ban)
 * DELETE   /api/v1/shows/:showId/chat/:messageId                delete a chat message
 * GET/POST /api/v1/shows/:showId/moderators                     the show's moderators; appoint one by e-mail
 * DELETE   /api/v1/shows/:showId/moderators/:userId             remove one
 * The service authorizes every call (hosts, merchant staff, admins, and the show's moderators).
 */
export function moderationRoutes(app: Http, deps: { moderation: Moderation }) {
  const { moderation } = deps;

  app.get("/api/v1/shows/:showId/moderation", { schema: { tags, params: ShowParams, response: { 200: ModerationSettings } } }, async (req) => {
    return unwrap(await moderation.readSettings(requireUser(req), req.params.showId)).settings;
  });

  app.put(
    "/api/v1/shows/:showId/moderation",
    { schema: { tags, params: ShowParams, body: ModerationSettingsInput, response: { 200: ModerationSettings } } },
    async (req) => unwrap(await moderation.updateSettings(requireUser(req), req.params.showId, req.body)).settings,
  );

  app.get(
    "/api/v1/shows/:showId/moderation/sanctions",
    { schema: { tags, params: ShowParams, response: { 200: z.object({ items: z.array(Sanction) }) } } },
    async (req) => ({ items: unwrap(await moderation.listSanctions(requireUser(req), req.params.showId)).sanctions }),
  );

  app.post(
    "/api/v1/shows/:showId/moderation/sanctions",
    { schema: { tags, params: ShowParams, body: SanctionInput, response: { 201: Sanction } } },
    async (req, reply) => {
      const { sanction } = unwrap(await moderation.sanction(requireUser(req), req.params.showId, req.body));
      return reply.status(201).send(sanction);
    },
  );

  app.delete(
    "/api/v1/shows/:showId/moderation/sanctions/:userId",
    { schema: { tags, params: ShowParams.extend({ userId: Id }), querystring: LiftSanctionQuery, response: { 200: Ok } } },
    async (req) => {
      unwrap(await moderation.lift(requireUser(req), req.params.showId, req.params.userId, req.query.kind));
      return { ok: true as const };
    },
  );

  app.delete(
    "/api/v1/shows/:showId/chat/:messageId",
    { schema: { tags, params: ShowParams.extend({ messageId: Id }), response: { 200: Ok } } },
    async (req) => {
      unwrap(await moderation.deleteMessage(requireUser(req), req.params.showId, req.params.messageId));
      return { ok: true as const };
    },
  );

  app.get(
    "/api/v1/shows/:showId/moderators",
    { schema: { tags, params: ShowParams, response: { 200: z.object({ items: z.array(Moderator) }) } } },
    async (req) => ({ items: unwrap(await moderation.listModerators(requireUser(req), req.params.showId)).moderators }),
  );

  app.post(
    "/api/v1/shows/:showId/moderators",
    { schema: { tags, params: ShowParams, body: AddModeratorBody, response: { 201: Moderator } } },
    async (req, reply) => {
      const { moderator } = unwrap(await moderation.addModerator(requireUser(req), req.params.showId, req.body.email));
      return reply.status(201).send(moderator);
    },
  );

  app.delete(
    "/api/v1/shows/:showId/moderators/:userId",
    { schema: { tags, params: ShowParams.extend({ userId: Id }), response: { 200: Ok } } },
    async (req) => {
      unwrap(await moderation.removeModerator(requireUser(req), req.params.showId, req.params.userId));
      return { ok: true as const };
    },
  );
}
