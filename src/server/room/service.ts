import type { User } from "../../shared/contracts/accounts.ts";
import type { ChatMessage } from "../../shared/contracts/room.ts";
import type { Question } from "../../shared/contracts/shows.ts";
import type { Db } from "../platform/db.ts";
import type { EventBus } from "../platform/bus.ts";
import { fail, type Result } from "../platform/errors.ts";
import { newId } from "../platform/ids.ts";
import { iso, isoOrNull } from "../platform/time.ts";

/** Chat and product questions: what is said in a show's room, persisted before it is broadcast. */
export interface RoomService {
  postChat(user: User, showId: string, text: string, clientMsgId?: string): Promise<Result<{ message: ChatMessage }>>;
  recentChat(showId: string, limit: number): Promise<ChatMessage[]>;
  ask(user: User, showId: string, text: string, productId: string | null, clientMsgId?: string): Promise<Result<{ question: Question }>>;
  answer(user: User, showId: string, questionId: string, text: string): Promise<Result<{ question: Question }>>;
  dismiss(user: User, showId: string, questionId: string): Promise<Result<{ question: Question }>>;
  questions(showId: string, opts: { status?: Question["status"]; limit: number }): Promise<Question[]>;
}

type QuestionRow = {
  id: string;
  show_id: string;
  user_id: string;
  author_name: string;
  product_id: string | null;
  text: string;
  status: Question["status"];
  answer: string | null;
  created_at: number;
  answered_at: number | null;
};

const toQuestion = (r: QuestionRow): Question => ({
  id: r.id,
  showId: r.show_id,
  productId: r.product_id,
  author: { id: r.user_id, name: r.author_name },
  text: r.text,
  status: r.status,
  answer: r.answer,
  createdAt: iso(r.created_at),
  answeredAt: isoOrNull(r.answered_at),
});

export function createRoomService(deps: {
  db: Db;
  bus: EventBus;
  /** Is this show open for chat (exists and not ended)? */
  showOpen(showId: string): Promise<Result<{}>>;
  productInShow(showId: string, productId: string): Promise<boolean>;
}): RoomService {
  const { db, bus } = deps;

  async function setQuestion(user: User, showId: string, questionId: string, patch: { status: "answered" | "dismissed"; answer: string | null }) {
    const now = Date.now();
    const res = await db
      .updateTable("questions")
      .set({ status: patch.status, answer: patch.answer, answered_by: user.id, answered_at: now })
      .where("id", "=", questionId)
      .where("show_id", "=", showId)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) return fail("not_found", "No such question.");
    const row = await db.selectFrom("questions").selectAll().where("id", "=", questionId).executeTakeFirstOrThrow();
    const question = toQuestion(row);
    bus.publish({ type: "question.updated", showId, question });
    return { ok: true as const, question };
  }

  return {
    async postChat(user, showId, text, clientMsgId) {
      const open = await deps.showOpen(showId);
      if (!open.ok) return open;
      const id = newId("msg");
      const now = Date.now();
      await db
        .insertInto("chat_messages")
        .values({ id, show_id: showId, user_id: user.id, author_name: user.displayName, author_role: user.role, text, created_at: now })
        .execute();
      const message: ChatMessage = { id, author: { id: user.id, name: user.displayName, role: user.role }, text, at: iso(now) };
      bus.publish({ type: "chat.posted", showId, message, clientMsgId });
      return { ok: true, message };
    },

    async recentChat(showId, limit) {
      const rows = await db.selectFrom("chat_messages").selectAll().where("show_id", "=", showId).where("deleted_at", "is", null).orderBy("created_at", "desc").orderBy("id", "desc").limit(limit).execute();
      return rows.reverse().map((r) => ({ id: r.id, author: { id: r.user_id, name: r.author_name, role: r.author_role }, text: r.text, at: iso(r.created_at) }));
    },

    async ask(user, showId, text, productId, clientMsgId) {
      const open = await deps.showOpen(showId);
      if (!open.ok) return open;
      if (productId && !(await deps.productInShow(showId, productId))) return fail("product_not_in_show");
      const row: QuestionRow = {
        id: newId("qst"),
        show_id: showId,
        user_id: user.id,
        author_name: user.displayName,
        product_id: productId,
        text,
        status: "open",
        answer: null,
        created_at: Date.now(),
        answered_at: null,
      };
      await db.insertInto("questions").values({ ...row, answered_by: null }).execute();
      const question = toQuestion(row);
      bus.publish({ type: "question.updated", showId, question, clientMsgId });
      return { ok: true, question };
    },

    answer: (user, showId, questionId, text) => setQuestion(user, showId, questionId, { status: "answered", answer: text }),
    dismiss: (user, showId, questionId) => setQuestion(user, showId, questionId, { status: "dismissed", answer: null }),

    async questions(showId, { status, limit }) {
      let q = db.selectFrom("questions").selectAll().where("show_id", "=", showId);
      if (status) q = q.where("status", "=", status);
      const rows = await q.orderBy("created_at", "asc").limit(limit).execute();
      return rows.map(toQuestion);
    },
  };
}
