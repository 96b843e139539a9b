import { z } from "zod";
import { Id } from "../../shared/contracts/common.ts";
import { AnswerBody, Question, QuestionStatus } from "../../shared/contracts/shows.ts";
import type { Http } from "../platform/http.ts";
import { AppError, unwrap } from "../platform/errors.ts";
import { requireUser } from "../accounts/guard.ts";
import type { Shows } from "../shows/service.ts";
import type { Realtime } from "./realtime.ts";
import type { RoomService } from "./service.ts";

const ShowParams = z.object({ showId: Id });
const QuestionParams = z.object({ showId: Id, questionId: Id });

export function roomRoutes(app: Http, deps: { realtime: Realtime; room: RoomService; shows: Shows }) {
  const { realtime, room, shows } = deps;

  // The room itself is a WebSocket (see docs/room-protocol.md); its upgrade never reaches Fastify.
  // A plain GET gets a clear error instead of a 404.
  app.get("/api/v1/shows/:showId/room", { schema: { params: ShowParams, tags: ["room"], description: "The show's room: open it as a WebSocket. See docs/room-protocol.md." } }, async () => {
    throw new AppError("validation_failed", "Open this URL as a WebSocket (Upgrade: websocket).");
  });

  app.get(
    "/api/v1/shows/:showId/questions",
    { schema: { tags: ["room"], params: ShowParams, querystring: z.object({ status: QuestionStatus.optional() }), response: { 200: z.object({ items: z.array(Question) }) } } },
    async (req) => {
      const user = req.user;
      const isHost = user ? (await shows.authorizeHost(user, req.params.showId)).ok : false;
      const items = await room.questions(req.params.showId, { status: req.query.status, limit: 500 });
      // Viewers see answered questions and their own; hosts see the whole queue.
      return { items: isHost ? items : items.filter((q) => q.status === "answered" || q.author.id === user?.id) };
    },
  );

  app.post(
    "/api/v1/shows/:showId/questions/:questionId/answer",
    { schema: { tags: ["room"], params: QuestionParams, body: AnswerBody, response: { 200: Question } } },
    async (req) => {
      const user = requireUser(req);
      unwrap(await shows.authorizeHost(user, req.params.showId));
      return unwrap(await room.answer(user, req.params.showId, req.params.questionId, req.body.text)).question;
    },
  );

  app.post(
    "/api/v1/shows/:showId/questions/:questionId/dismiss",
    { schema: { tags: ["room"], params: QuestionParams, response: { 200: Question } } },
    async (req) => {
      const user = requireUser(req);
      unwrap(await shows.authorizeHost(user, req.params.showId));
      return unwrap(await room.dismiss(user, req.params.showId, req.params.questionId)).question;
    },
  );
}
