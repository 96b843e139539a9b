export * from "./errors.ts";
export * from "./common.ts";
export * from "./accounts.ts";
export * from "./catalog.ts";
export * from "./shows.ts";
export * from "./checkout.ts";
export * from "./room.ts";
