import { FeedPage, FeedQuery } from "../../shared/contracts/feed.ts";
import type { Http } from "../platform/http.ts";
import { unwrap } from "../platform/errors.ts";
import type { Feed } from "./service.ts";

export function feedRoutes(app: Http, deps: { feed: Feed }) {
  app.get(
    "/api/v1/feed",
    {
      schema: {
        tags: ["feed"],
        summary: "The home feed: live, upcoming, short videos and replays; followed creators and shops first (anonymous allowed)",
        querystring: FeedQuery,
        response: { 200: FeedPage },
      },
    },
    async (req) => unwrap(await deps.feed.page(req.query, req.user?.id ?? null)),
  );
}
