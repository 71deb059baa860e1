// How a partner verifies a ScoreLink delivery in JavaScript (Node 18+, no dependencies).
// The README quotes verify(); tests/events/test_verify_examples.py runs it on real deliveries.
import { createHmac, timingSafeEqual } from "node:crypto";

export function verify(secret, headers, body) {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) {
    throw new Error("timestamp too old or too new");
  }
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest();
  const matches = headers["webhook-signature"].split(" ").some((signature) => {
    const [version, value] = signature.split(",");
    const given = Buffer.from(value ?? "", "base64");
    return version === "v1" && given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) throw new Error("no matching signature");
  return JSON.parse(body);
}

// node verify_webhook.mjs: reads {secret, headers, body} as JSON on stdin, prints the event type.
const input = JSON.parse(await new Promise((resolve) => {
  let text = "";
  process.stdin.on("data", (chunk) => (text += chunk)).on("end", () => resolve(text));
}));
try {
  console.log(verify(input.secret, input.headers, input.body).type);
} catch (error) {
  console.log(`refused: ${error.message}`);
}
