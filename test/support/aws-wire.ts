// The wire side of the fault proxy: what an AWS call is (its service and action, read from the
// SigV4 scope and the query or JSON protocol) and how AWS answers with an error in each protocol's
// shape, so the SDK parses a fault exactly as it would parse AWS's own.
import type http from "node:http";
import type { Socket } from "node:net";

export const CONTROL_PATH = "/moto-api/";

/** The signing name from `Authorization: AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request`. */
export function serviceOf(headers: http.IncomingHttpHeaders): string {
  const auth = headers.authorization ?? "";
  const scope = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(auth);
  return scope?.[1] ?? "unknown";
}

export function actionOf(req: http.IncomingMessage, body: Buffer): string {
  const target = req.headers["x-amz-target"];
  if (typeof target === "string" && target.includes(".")) return target.slice(target.lastIndexOf(".") + 1);
  const type = req.headers["content-type"] ?? "";
  if (type.includes("application/x-www-form-urlencoded")) {
    const action = new URLSearchParams(body.toString("utf8")).get("Action");
    if (action) return action;
  }
  const fromQuery = new URL(req.url ?? "/", "http://proxy").searchParams.get("Action");
  return fromQuery ?? "unknown";
}

export type Protocol = "query" | "ec2" | "json";

export function protocolOf(service: string, req: http.IncomingMessage): Protocol {
  if (service === "ec2") return "ec2";
  if (typeof req.headers["x-amz-target"] === "string") return "json";
  return "query";
}

export interface ErrorAnswer {
  status: number;
  code: string;
  message: string;
  /** Query protocol only: who is at fault. */
  type: "Sender" | "Receiver";
}

export function throttleAnswer(protocol: Protocol): ErrorAnswer {
  if (protocol === "ec2") {
    return { status: 503, code: "RequestLimitExceeded", message: "Request limit exceeded.", type: "Sender" };
  }
  if (protocol === "json") {
    return { status: 400, code: "ThrottlingException", message: "Rate exceeded", type: "Sender" };
  }
  return { status: 400, code: "Throttling", message: "Rate exceeded", type: "Sender" };
}

export function serverErrorAnswer(protocol: Protocol, unavailable: boolean): ErrorAnswer {
  if (protocol === "ec2") {
    return unavailable
      ? { status: 503, code: "Unavailable", message: "The server is overloaded.", type: "Receiver" }
      : { status: 500, code: "InternalError", message: "An internal error has occurred.", type: "Receiver" };
  }
  return unavailable
    ? { status: 503, code: "ServiceUnavailable", message: "Service is unavailable.", type: "Receiver" }
    : { status: 500, code: "InternalFailure", message: "An internal error occurred.", type: "Receiver" };
}

export function errorBody(
  protocol: Protocol,
  e: ErrorAnswer,
  requestId: string,
): { type: string; body: string } {
  if (protocol === "json") {
    return {
      type: "application/x-amz-json-1.1",
      body: JSON.stringify({ __type: e.code, message: e.message }),
    };
  }
  if (protocol === "ec2") {
    return {
      type: "text/xml",
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${e.code}</Code><Message>${e.message}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
    };
  }
  return {
    type: "text/xml",
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>${e.type}</Type><Code>${e.code}</Code><Message>${e.message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

/** Resets the caller's connection; one the caller already closed is left alone. */
export function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  // An RST, as a crashed middlebox would send; a plain destroy would be a polite FIN.
  if (typeof socket.resetAndDestroy === "function") socket.resetAndDestroy();
  else socket.destroy();
}

export interface UpstreamAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export function relay(res: http.ServerResponse, answer: UpstreamAnswer): void {
  if (res.destroyed) return;
  const headers = { ...answer.headers };
  // The body is relayed whole, so its length is known; chunked framing would not match it.
  delete headers["transfer-encoding"];
  headers["content-length"] = String(answer.body.length);
  res.writeHead(answer.status, headers);
  res.end(answer.body);
}
