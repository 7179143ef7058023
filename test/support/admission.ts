// What the API server says when it refuses a request at admission.
import assert from "node:assert/strict";

/** The API server's message for a request it refused; fails when it accepted the request. */
export async function rejection(request: Promise<unknown>): Promise<string> {
  try {
    await request;
  } catch (err) {
    const body = (err as { body?: unknown }).body;
    try {
      return String((JSON.parse(String(body)) as { message?: string }).message);
    } catch {
      return String(body ?? err);
    }
  }
  assert.fail("the API server accepted the request");
}
