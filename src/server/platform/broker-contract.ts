import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import pino from "pino";
import { BrokerRequestError, BrokerUnavailableError, openBroker, type Broker, type BrokerOptions } from "./broker.ts";
import { privateBrokerMissing, startPrivateBroker, testPrefix } from "../../../test/support/brokers.ts";
import { until as untilTrue } from "../../../test/support/until.ts";

const until = (fn: () => unknown, what: string, ms = 15_000) => untilTrue(what, async () => !!(await fn()), ms, 50);

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/**
 * The Broker contract, run against each implementation with a real server (broker.test.ts): `url` is
 * the machine's shared broker (each test uses a prefix of its own), `kind` picks a private server for
 * the restart test.
 */
export function brokerContract(url: string, kind: "redis" | "nats") {
  const open: Broker[] = [];
  const node = async (prefix: string, u = url, logger: BrokerOptions["log"] = log) => {
    const b = await openBroker(u, { prefix, log: logger });
    open.push(b);
    return b;
  };
  let a: Broker;
  let b: Broker;
  let prefix: string;
  before(async () => {
    prefix = testPrefix(`broker_${kind}`);
    a = await node(prefix);
    b = await node(prefix);
  });
  after(async () => {
    for (const x of open) await x.close();
  });

  test("a message published by one node reaches every subscriber on every node, itself included", async () => {
    const gotA: string[] = [];
    const gotB: string[] = [];
    const offA = a.subscribe("room.chat", (d) => gotA.push(dec(d)));
    const offB = b.subscribe("room.chat", (d) => gotB.push(dec(d)));
    await settle();
    a.publish("room.chat", enc("ciao"));
    b.publish("room.chat", enc("salve"));
    await until(() => gotA.length === 2 && gotB.length === 2, "both nodes got both messages");
    assert.deepEqual(gotA.sort(), ["ciao", "salve"]);
    assert.deepEqual(gotB.sort(), ["ciao", "salve"]);
    offA();
    await settle();
    b.publish("room.chat", enc("again"));
    await until(() => gotB.length === 3, "the remaining subscriber still hears");
    assert.equal(gotA.length, 2, "unsubscribed: nothing more");
    offB();
  });

  test("another prefix is another world: no crosstalk between instances sharing the broker", async () => {
    const other = await node(testPrefix(`other_${kind}`));
    const heard: string[] = [];
    other.subscribe("events.x", (d) => heard.push(dec(d)));
    const mine: string[] = [];
    b.subscribe("events.x", (d) => mine.push(dec(d)));
    await settle();
    a.publish("events.x", enc("only ours"));
    await until(() => mine.length === 1, "delivered in our prefix");
    await settle();
    assert.deepEqual(heard, []);
  });

  test("request/reply: each request is answered by exactly one of the responders", async () => {
    const servedBy: string[] = [];
    const offA = a.respond("flash.decide", (d) => {
      servedBy.push("a");
      return enc(`a:${dec(d)}`);
    });
    const offB = b.respond("flash.decide", (d) => {
      servedBy.push("b");
      return enc(`b:${dec(d)}`);
    });
    await settle();
    const client = await node(prefix);
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => client.request("flash.decide", enc(String(i)), { timeoutMs: 5000 }).then(dec)));
    assert.equal(servedBy.length, 40, "no request answered twice");
    answers.forEach((ans, i) => assert.match(ans, new RegExp(`^[ab]:${i}$`)));
    offA();
    offB();
  });

  test("a request nobody responds to fails at once with no_responders; a silent responder with timeout; a failing one with responder_failed", async () => {
    await assert.rejects(a.request("nobody.home", enc("?"), { timeoutMs: 30_000 }), (e: unknown) => e instanceof BrokerRequestError && e.code === "no_responders");
    const offSilent = b.respond("slow.poke", () => new Promise<Uint8Array>(() => {}));
    const offFail = b.respond("bad.apple", () => {
      throw new Error("sold out of apples");
    });
    await settle();
    await assert.rejects(a.request("slow.poke", enc("?"), { timeoutMs: 300 }), (e: unknown) => e instanceof BrokerRequestError && e.code === "timeout");
    await assert.rejects(a.request("bad.apple", enc("?")), (e: unknown) => e instanceof BrokerRequestError && e.code === "responder_failed" && /sold out of apples/.test(e.message));
    offSilent();
    offFail();
  });

  // These two start a broker server of their own (they kill it): they need its binary on this machine.
  const ownServer = { skip: privateBrokerMissing(kind) ?? false };
  test("an unreachable broker fails the start within seconds, naming BROKER_URL", ownServer, async () => {
    const dead = await startPrivateBroker(kind);
    await dead.kill();
    await assert.rejects(openBroker(dead.url, { prefix, log, connectTimeoutMs: 2000 }), (e: unknown) => e instanceof BrokerUnavailableError && /BROKER_URL/.test(e.message));
  });

  test("the broker goes away and comes back: health says down, then up; subscriptions and responders work again", ownServer, async () => {
    const server = await startPrivateBroker(kind);
    try {
      const said: string[] = [];
      const logger = { info: (_o: object, m: string) => void said.push(`info ${m}`), warn: (_o: object, m: string) => void said.push(`warn ${m}`), error: (_o: object, m: string) => void said.push(`error ${m}`) };
      const x = await node(prefix, server.url, logger);
      const y = await node(prefix, server.url);
      const got: string[] = [];
      y.subscribe("room.likes", (d) => got.push(dec(d)));
      y.respond("ask.y", (d) => enc(`y:${dec(d)}`));
      await settle();
      x.publish("room.likes", enc("1"));
      await until(() => got.length === 1, "delivered before the outage");
      assert.equal(dec(await x.request("ask.y", enc("1"))), "y:1");

      await server.kill();
      await until(() => x.health().status === "down" && y.health().status === "down", "both nodes see the broker down");
      await assert.rejects(x.request("ask.y", enc("2")), (e: unknown) => e instanceof BrokerRequestError);
      x.publish("room.likes", enc("lost")); // dropped, not queued
      // Subscribed while the broker is away: in force once it is back.
      const late: string[] = [];
      y.subscribe("room.late", (d) => late.push(dec(d)));

      await server.start();
      await until(() => x.health().status === "up" && y.health().status === "up", "both nodes see the broker back", 20_000);
      // Subscriptions are made again by the clients; keep publishing until one gets through.
      await until(() => {
        x.publish("room.likes", enc("2"));
        return got.includes("2");
      }, "delivered after the outage", 20_000);
      assert.ok(!got.includes("lost"), "a message published during the outage is dropped, not delivered late");
      await until(() => {
        x.publish("room.late", enc("hello"));
        return late.length > 0;
      }, "a subscription made during the outage works after it", 20_000);
      let answer = "";
      await until(async () => {
        answer = await x.request("ask.y", enc("3"), { timeoutMs: 1000 }).then(dec, () => "");
        return answer !== "";
      }, "the responder answers again", 20_000);
      assert.equal(answer, "y:3");
      // Logged once when it went, once when it came back (not once per reconnection attempt).
      assert.deepEqual(said.filter((m) => /connection (lost|back)/.test(m)), ["warn broker connection lost: cross-node delivery paused", "info broker connection back: cross-node delivery resumed"]);
    } finally {
      await server.stop();
    }
  });
}

/** Subscriptions travel to the server asynchronously: give them a moment before publishing. */
const settle = () => new Promise((r) => setTimeout(r, 150));
