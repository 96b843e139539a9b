import { describe } from "node:test";
import { brokerContract } from "./broker-contract.ts";

// The same contract against both real brokers; each is switched on by its URL (CI sets both).
const redis = process.env.TEST_REDIS_URL;
const nats = process.env.TEST_NATS_URL;

describe("Redis broker: the Broker contract", { skip: redis ? false : "TEST_REDIS_URL is not set" }, () => {
  if (redis) brokerContract(redis, "redis");
});

describe("NATS broker: the Broker contract", { skip: nats ? false : "TEST_NATS_URL is not set" }, () => {
  if (nats) brokerContract(nats, "nats");
});
