import { SearchPage, SearchQuery } from "../../shared/contracts/search.ts";
import type { Http } from "../platform/http.ts";
import { unwrap } from "../platform/errors.ts";
import type { Search } from "./service.ts";

export function searchRoutes(app: Http, deps: { search: Search }) {
  const { search } = deps;

  app.get(
    "/api/v1/search",
    {
      schema: {
        tags: ["search"],
        summary: "Search shows, products and creators (English and Italian stemming; the last word as a prefix)",
        querystring: SearchQuery,
        response: { 200: SearchPage },
      },
    },
    async (req) => {
      const { items, nextCursor } = unwrap(await search.search(req.query));
      return { items, nextCursor };
    },
  );
}
