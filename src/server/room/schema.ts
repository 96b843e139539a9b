export interface RoomTables {
  chat_messages: {
    id: string;
    show_id: string;
    user_id: string;
    author_name: string;
    author_role: "viewer" | "host" | "merchant" | "admin";
    text: string;
    created_at: number;
    /** set by a moderator's delete (moderation domain); the row stays for the record */
    deleted_at: number | null;
    deleted_by: string | null;
  };
  questions: {
    id: string;
    show_id: string;
    user_id: string;
    author_name: string;
    product_id: string | null;
    text: string;
    status: "open" | "answered" | "dismissed";
    answer: string | null;
    answered_by: string | null;
    created_at: number;
    answered_at: number | null;
  };
}
