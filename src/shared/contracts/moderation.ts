import { z } from "zod";
import { Id } from "./common.ts";

export const SLOW_MODE_MAX_SECONDS = 300;
export const MUTE_MINUTES = { min: 1, max: 1440 } as const;
export const BANNED_WORDS_MAX = 200;
export const BANNED_WORD_MAX_LENGTH = 50;

/** A word or phrase; matched case-insensitively on word boundaries (see docs/moderation.md). */
export const BannedWord = z.string().trim().min(1).max(BANNED_WORD_MAX_LENGTH);

/** A show's room rules. `slowModeSeconds` 0 is off. Moderators only: the list is not for viewers' eyes. */
export const ModerationSettings = z.object({
  slowModeSeconds: z.number().int().min(0).max(SLOW_MODE_MAX_SECONDS),
  bannedWords: z.array(BannedWord).max(BANNED_WORDS_MAX),
});
export type ModerationSettings = z.infer<typeof ModerationSettings>;

/** PUT body: the fields given replace their value, the others keep theirs. */
export const ModerationSettingsInput = ModerationSettings.partial().refine((s) => s.slowModeSeconds !== undefined || s.bannedWords !== undefined, {
  message: "Give slowModeSeconds, bannedWords or both.",
});
export type ModerationSettingsInput = z.infer<typeof ModerationSettingsInput>;

export const SanctionKind = z.enum(["mute", "ban"]);
export type SanctionKind = z.infer<typeof SanctionKind>;

const Reason = z.string().trim().max(200);
const Minutes = z.number().int().min(MUTE_MINUTES.min).max(MUTE_MINUTES.max);

/** A mute always has a duration; a ban without `minutes` lasts until it is lifted. */
export const SanctionInput = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("mute"), userId: Id, minutes: Minutes, reason: Reason.optional() }),
  z.object({ kind: z.literal("ban"), userId: Id, minutes: Minutes.optional(), reason: Reason.optional() }),
]);
export type SanctionInput = z.infer<typeof SanctionInput>;

/** An active mute or ban. `until` null: until lifted. `by` is the moderator's user id. */
export const Sanction = z.object({
  userId: Id,
  userName: z.string(),
  kind: SanctionKind,
  until: z.string().nullable(),
  reason: z.string().nullable(),
  by: Id,
  at: z.string(),
});
export type Sanction = z.infer<typeof Sanction>;

export const LiftSanctionQuery = z.object({ kind: SanctionKind });

/** Someone given moderator rights for one show (hosts and merchant staff have them anyway). */
export const Moderator = z.object({ userId: Id, name: z.string(), addedBy: Id, at: z.string() });
export type Moderator = z.infer<typeof Moderator>;

export const AddModeratorBody = z.object({ email: z.string().trim().toLowerCase().email().max(254) });
