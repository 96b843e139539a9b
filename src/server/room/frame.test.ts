import { test } from "node:test";
import assert from "node:assert/strict";
import * as ws from "ws";

// ws's ESM entry exports its frame encoder; @types/ws does not declare it.
const { Sender } = ws as unknown as { Sender: { frame(data: Buffer, o: object): Buffer[] } };
import { encodeTextFrame } from "./websocket.ts";

test("pre-encoded fan-out frames are byte-identical to what ws sends, at every length boundary", () => {
  for (const len of [0, 1, 125, 126, 127, 65535, 65536, 70000]) {
    const text = "é".repeat(Math.floor(len / 2)) + "x".repeat(len % 2);
    const ours = encodeTextFrame(text);
    const theirs = Buffer.concat(Sender.frame(Buffer.from(text), { fin: true, rsv1: false, opcode: 1, mask: false, readOnly: false }) as Buffer[]);
    assert.ok(ours.equals(theirs), `length ${Buffer.byteLength(text)}`);
  }
});
