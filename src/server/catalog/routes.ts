import { z } from "zod";
import { Id, page } from "../../shared/contracts/common.ts";
import { ImageUploaded, Product, ProductInput, StockAdjust } from "../../shared/contracts/catalog.ts";
import type { Http } from "../platform/http.ts";
import { AppError, unwrap } from "../platform/errors.ts";
import { newId } from "../platform/ids.ts";
import { requireMerchant, requireUser } from "../accounts/guard.ts";
import type { Catalog } from "./service.ts";
import { contentTypeOf, type MediaStorage } from "../media/storage.ts";
import { sendStoredObject } from "../media/storage-http.ts";

const MAX_IMAGE_BYTES = 5 * 1024 * 1024;

/** Image type by content (magic bytes), never by the file name the client sent. */
export function sniffImage(buf: Buffer): "png" | "jpg" | "webp" | "gif" | null {
  if (buf.length >= 8 && buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return "png";
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return "jpg";
  if (buf.length >= 12 && buf.toString("ascii", 0, 4) === "RIFF" && buf.toString("ascii", 8, 12) === "WEBP") return "webp";
  if (buf.length >= 6 && (buf.toString("ascii", 0, 6) === "GIF87a" || buf.toString("ascii", 0, 6) === "GIF89a")) return "gif";
  return null;
}

/** an uploaded image's file name: `img_….png` (or a demo picture's) */
const ImageFile = z.object({ file: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,100}\.(png|jpg|webp|gif|svg)$/, "invalid file") });

/** `images`: where uploaded images are stored, by file name (MediaStorage: local disk or S3, see docs/media-jobs.md "Storage"). */
export function catalogRoutes(app: Http, deps: { catalog: Catalog; images: MediaStorage }) {
  const { catalog } = deps;
  const ProductParams = z.object({ productId: Id });

  app.get(
    "/api/v1/merchant/products",
    {
      schema: {
        tags: ["catalog"],
        querystring: z.object({
          cursor: z.string().max(200).optional(),
          limit: z.coerce.number().int().min(1).max(100).default(25),
          q: z.string().trim().max(100).optional(),
          status: z.enum(["active", "archived"]).optional(),
        }),
        response: { 200: page(Product) },
      },
    },
    async (req) => {
      const m = requireMerchant(req);
      return catalog.list(m.merchantId, { ...req.query, q: req.query.q || undefined });
    },
  );

  app.post("/api/v1/merchant/products", { schema: { tags: ["catalog"], body: ProductInput, response: { 201: Product } } }, async (req, reply) => {
    const m = requireMerchant(req);
    return reply.status(201).send(await catalog.create(m.merchantId, req.body));
  });

  app.put("/api/v1/merchant/products/:productId", { schema: { tags: ["catalog"], params: ProductParams, body: ProductInput, response: { 200: Product } } }, async (req) => {
    const m = requireMerchant(req);
    return unwrap(await catalog.update(m.merchantId, req.params.productId, req.body)).product;
  });

  app.put(
    "/api/v1/merchant/variants/:variantId/stock",
    { schema: { tags: ["catalog"], params: z.object({ variantId: Id }), body: StockAdjust, response: { 200: Product } } },
    async (req) => {
      const m = requireMerchant(req);
      return unwrap(await catalog.setStock(m.merchantId, req.params.variantId, req.body.stock)).product;
    },
  );

  app.get("/api/v1/products/:productId", { schema: { tags: ["catalog"], params: ProductParams, response: { 200: Product } } }, async (req) => {
    const p = await catalog.get(req.params.productId);
    if (!p) throw new AppError("not_found", "No such product.");
    return p;
  });

  app.post("/api/v1/uploads/images", { schema: { tags: ["catalog"], consumes: ["multipart/form-data"], response: { 201: ImageUploaded } } }, async (req, reply) => {
    // Any signed-in account: buyers upload their review photos here too (the reviews domain only takes
    // photos this endpoint wrote).
    requireUser(req);
    if (!req.isMultipart()) throw new AppError("unsupported_media_type", "Send the image as multipart/form-data in a field named file.");
    const file = await req.file({ limits: { fileSize: MAX_IMAGE_BYTES, files: 1 } });
    if (!file) throw new AppError("validation_failed", "No file in the request.");
    const buf = await file.toBuffer();
    if (file.file.truncated) throw new AppError("payload_too_large", "Images are limited to 5 MB.");
    const kind = sniffImage(buf);
    if (!kind) throw new AppError("unsupported_media_type", "Only PNG, JPEG, WebP and GIF images are accepted.");
    const name = `${newId("img")}.${kind}`;
    await deps.images.write(name, buf);
    return reply.status(201).send({ url: `/uploads/${name}` });
  });

  // Uploaded images, from storage. Names are never reused, so caches may keep them; SVG (demo pictures)
  // may hold script, so nothing in an image runs when it is opened on its own.
  app.get("/uploads/:file", { schema: { hide: true, params: ImageFile } }, async (req, reply) => {
    reply.header("x-content-type-options", "nosniff").header("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox");
    return sendStoredObject(reply, deps.images, req.params.file, req.headers.range, { contentType: contentTypeOf(req.params.file), cacheControl: "public, max-age=604800, immutable" });
  });
}
