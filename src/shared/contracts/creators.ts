import { z } from "zod";
import { Id, IsoInstant } from "./common.ts";
import { ShowSummary } from "./shows.ts";

/** What a creator sells about; a fixed list so pages and searches can be localized and filtered. */
export const CREATOR_CATEGORIES = ["fashion", "beauty", "home", "food", "tech", "sports", "kids", "crafts", "collectibles", "other"] as const;
export const CreatorCategory = z.enum(CREATOR_CATEGORIES);
export type CreatorCategory = z.infer<typeof CreatorCategory>;

/** Handles that would collide with pages or read as official. Compared case-insensitively. */
export const RESERVED_HANDLES = ["admin", "api", "me", "new", "settings", "support", "help", "vetrina", "creator", "creators", "merchant", "shows", "live"];

/**
 * A creator's public handle: 3–30 letters, digits, `_` or `.`, starting and ending with a letter or
 * digit, no `..`. The case is kept for display; uniqueness and look-ups ignore it.
 */
export const Handle = z
  .string()
  .trim()
  .min(3)
  .max(30)
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9_.]*[A-Za-z0-9])?$/, "letters, digits, _ and . only, starting and ending with a letter or digit")
  .refine((h) => !h.includes(".."), "no two dots in a row")
  .refine((h) => !RESERVED_HANDLES.includes(h.toLowerCase()), "this handle is reserved");

/** Any string that might be a handle, for path parameters and invitations (looked up, not validated). */
export const HandleRef = z.string().trim().min(1).max(30).regex(/^[A-Za-z0-9_.]+$/, "invalid handle");

export const HttpsUrl = z
  .string()
  .trim()
  .max(300)
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === "https:" && !!u.hostname;
    } catch {
      return false;
    }
  }, "must be an https:// URL");

/** An avatar: an https URL or a picture uploaded to this instance (`/uploads/...`). */
export const AvatarUrl = z.union([HttpsUrl, z.string().regex(/^\/uploads\/[A-Za-z0-9._-]{1,200}$/, "must be an https:// URL or an uploaded image")]);

export const CreatorInput = z.object({
  handle: Handle,
  displayName: z.string().trim().min(1).max(60),
  avatarUrl: AvatarUrl.nullable().default(null),
  bio: z.string().trim().max(1000).default(""),
  categories: z
    .array(CreatorCategory)
    .max(5)
    .default([])
    .refine((c) => new Set(c).size === c.length, "each category once"),
  links: z
    .array(HttpsUrl)
    .max(5)
    .default([])
    .refine((l) => new Set(l).size === l.length, "each link once"),
});
export type CreatorInput = z.output<typeof CreatorInput>;

export const Creator = z.object({
  id: Id,
  userId: Id,
  handle: z.string(),
  displayName: z.string(),
  avatarUrl: z.string().nullable(),
  bio: z.string(),
  categories: z.array(CreatorCategory),
  links: z.array(z.string()),
  verified: z.boolean(),
  verifiedAt: IsoInstant.nullable(),
  followerCount: z.number().int().min(0),
  createdAt: IsoInstant,
});
export type Creator = z.infer<typeof Creator>;

/** The public creator page: the profile and the shows the creator hosts. */
export const CreatorPage = z.object({
  creator: Creator,
  /** whether the signed-in reader follows this creator (false when signed out) */
  following: z.boolean(),
  live: z.array(ShowSummary),
  /** soonest first */
  upcoming: z.array(ShowSummary),
  /** most recent first, at most 20 */
  past: z.array(ShowSummary),
});
export type CreatorPage = z.infer<typeof CreatorPage>;

export const FollowState = z.object({ following: z.boolean(), followerCount: z.number().int().min(0) });
export type FollowState = z.infer<typeof FollowState>;

export const VerifyCreatorBody = z.object({ verified: z.boolean().default(true) });
