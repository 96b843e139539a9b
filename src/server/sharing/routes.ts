import { z } from "zod";
import { CreateShareBody, MyShares, SHARE_HEADER, ShareKind, ShareLink, ShareVisitBody } from "../../shared/contracts/sharing.ts";
import { Id } from "../../shared/contracts/common.ts";
import type { Http } from "../platform/http.ts";
import { sendProblem } from "../platform/http.ts";
import { unwrap } from "../platform/errors.ts";
import { requireUser } from "../accounts/guard.ts";
import type { Claim, Sharing } from "./service.ts";
import { bareDocument, withPreview } from "./preview.ts";

declare module "fastify" {
  interface FastifyRequest {
    shareClaim?: Claim;
  }
}

/** The pages that can be shared, by the path their preview is served at. */
const PAGES: { kind: ShareKind; path: string }[] = [
  { kind: "show", path: "/shows/:id" },
  { kind: "product", path: "/products/:id" },
  { kind: "video", path: "/videos/:id" },
];

export function sharingRoutes(app: Http, deps: { sharing: Sharing; indexHtml(): string | null }) {
  const { sharing } = deps;

  app.post("/api/v1/shares", { schema: { tags: ["sharing"], summary: "A link to share (with the sharer's token when signed in)", body: CreateShareBody, response: { 200: ShareLink } } }, async (req) => {
    return unwrap(await sharing.link(req.user, req.body)).link;
  });

  app.get("/api/v1/me/shares", { schema: { tags: ["sharing"], summary: "The signed-in sharer's links with what came through them", response: { 200: MyShares } } }, async (req) => {
    const user = requireUser(req);
    return { items: await sharing.mine(user.id) };
  });

  app.post("/api/v1/shares/visits", { schema: { tags: ["sharing"], summary: "A page was opened through a link (unknown tokens are ignored)", body: ShareVisitBody } }, async (req, reply) => {
    await sharing.recordVisit(req.body.token, req.user?.id ?? null);
    return reply.status(204).send();
  });

  // A signed-in request carrying share tokens: an order it makes is attributed by them (see order.paid
  // in the service). Nothing is written here, so a purchase's path gains no query.
  app.addHook("preHandler", async (req) => {
    const header = req.headers[SHARE_HEADER];
    if (req.user && typeof header === "string" && header) req.shareClaim = sharing.claim(req.user.id, header);
  });
  app.addHook("onResponse", async (req) => {
    if (req.shareClaim) sharing.release(req.shareClaim);
  });

  // Shared pages: the SPA's index.html with the link preview in its head, for crawlers that run no JavaScript.
  for (const page of PAGES) {
    app.get(page.path, { schema: { hide: true } }, async (req, reply) => {
      const id = Id.safeParse((req.params as { id?: string }).id);
      const token = z.string().safeParse((req.query as { s?: unknown }).s);
      const preview = id.success ? await sharing.preview(page.kind, id.data, token.success ? token.data : null) : null;
      const index = deps.indexHtml();
      // Unknown: the plain app (which shows its own "not found"), exactly as any other page path.
      if (!preview) return index === null ? sendProblem(reply, "route_not_found", `GET ${req.url.split("?")[0]}`) : reply.type("text/html; charset=utf-8").header("cache-control", "no-cache").send(index);
      return reply
        .type("text/html; charset=utf-8")
        .header("cache-control", "no-cache")
        .send(index === null ? bareDocument(preview) : withPreview(index, preview));
    });
  }
}
