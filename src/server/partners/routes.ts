import { z } from "zod";
import { Id } from "../../shared/contracts/common.ts";
import { ConversionPostback, ConversionReceipt, PartnerSecret, PartnerSettings } from "../../shared/contracts/partners.ts";
import type { Http } from "../platform/http.ts";
import { AppError, unwrap } from "../platform/errors.ts";
import { requireMerchant } from "../accounts/guard.ts";
import { POSTBACK_PATH, type Partners } from "./service.ts";

const header = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export function partnersRoutes(app: Http, deps: { partners: Partners }) {
  const { partners } = deps;

  // The partner-store card in the player links here; the viewer may be signed in or not.
  app.get(
    "/go/:showId/:productId",
    { schema: { tags: ["partners"], summary: "Record a click on a partner-store product and redirect to the store", params: z.object({ showId: Id, productId: Id }) } },
    async (req, reply) => {
      const r = unwrap(await partners.click({ showId: req.params.showId, productId: req.params.productId, viewerUserId: req.user?.id ?? null, ip: req.ip ?? null }));
      // Every tap is a click of its own: no cache may answer it.
      reply.header("cache-control", "no-store");
      return reply.redirect(r.url, 302);
    },
  );

  app.get("/api/v1/merchant/partner", { schema: { tags: ["partners"], response: { 200: PartnerSettings } } }, async (req) => {
    const m = requireMerchant(req);
    return partners.settings(m.merchantId);
  });

  app.post("/api/v1/merchant/partner/secret", { schema: { tags: ["partners"], response: { 200: PartnerSecret } } }, async (req, reply) => {
    const m = requireMerchant(req);
    reply.header("cache-control", "no-store");
    return partners.rotateSecret(m.merchantId);
  });

  // The signature covers the body's exact bytes: in this scope JSON is kept raw, and parsed only once verified.
  app.register(async (scoped: Http) => {
    scoped.removeAllContentTypeParsers();
    scoped.addContentTypeParser("application/json", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
    scoped.post(
      POSTBACK_PATH,
      {
        schema: {
          tags: ["partners"],
          summary: "A partner store reports a conversion (HMAC-signed; see docs/creators-and-commissions.md)",
          response: { 200: ConversionReceipt },
        },
      },
      async (req) => {
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const { merchantId } = unwrap(
          await partners.authenticate(
            { merchant: header(req.headers["vetrina-merchant"]), timestamp: header(req.headers["vetrina-timestamp"]), signature: header(req.headers["vetrina-signature"]) },
            raw,
          ),
        );
        let json: unknown;
        try {
          json = JSON.parse(raw.toString("utf8"));
        } catch {
          throw new AppError("malformed_json");
        }
        const parsed = ConversionPostback.safeParse(json);
        if (!parsed.success)
          throw new AppError(
            "validation_failed",
            "Invalid body",
            parsed.error.issues.map((i) => ({ path: ["body", ...i.path].join("."), message: i.message })),
          );
        return unwrap(await partners.receive(merchantId, parsed.data)).receipt;
      },
    );
  });
}
