// A fault-injecting HTTP proxy in front of the AWS emulator (moto), for tests and chaos runs.
//
// Point an SDK client (or a ProviderConfig's spec.endpoint) at `proxy.url` instead of moto. Every
// AWS call passes through; the proxy reads the call's service (from the SigV4 credential scope) and
// action (the form-encoded `Action=` of the query protocol, or X-Amz-Target for JSON services),
// counts it, and may answer with a fault instead:
//
//   throttle        a throttling error in the shape the SDK parses for that service: query protocol
//                   (RDS, ELBv2, IAM, STS) `<ErrorResponse><Error><Type>Sender</Type><Code>Throttling`
//                   with HTTP 400; EC2 `<Response><Errors><Error><Code>RequestLimitExceeded` with
//                   HTTP 503; JSON protocol `{"__type":"ThrottlingException"}` with HTTP 400. The SDK
//                   classifies each as throttling and retries it. Never reaches the emulator.
//   serverError     a 500 InternalFailure or a 503 ServiceUnavailable (EC2: InternalError,
//                   Unavailable), in the same shapes. Never reaches the emulator.
//   reset           the connection is reset (TCP RST) before the call is forwarded. Never reaches
//                   the emulator; the SDK sees ECONNRESET.
//   slow            forwarded, and the emulator's answer is held for `slowMs` (default longer than
//                   setpoint's SDK request timeout) before it is sent. The emulator APPLIED the call,
//                   so a mutating call that times out has still happened.
//   dropAfterApply  the worst case: forwarded, the emulator answers (the change is applied), and the
//                   proxy then resets the client's connection instead of relaying the answer. The
//                   caller cannot tell a create that happened from one that did not.
//   refuse          rules only: the AWS error the rule names (`refusal: { code, message, status }`),
//                   e.g. an AccessDenied on DeleteDBInstance, as an IAM policy would answer. Never
//                   reaches the emulator.
//
// Faults come from two sources, rules first:
//   - rules, for tests: `proxy.inject({ action: "CreateLoadBalancer", fault: "dropAfterApply" })`
//     faults the next matching call (or `times` of them, after `skip`), and tells when it has fired;
//   - random rates, for chaos: `{ rates: { throttle: 0.05, dropAfterApply: 0.02 }, seed: 42 }`.
//     Whether the n-th call of a given service and action is faulted is a pure function of (seed,
//     service, action, n): a failing seed replays the same faults on the same calls, even when calls
//     of different actions interleave differently from run to run. (Concurrent calls of the SAME
//     action may still swap their n; a fully serial workload replays exactly.)
//
// Every call is journaled ({ seq, service, action, mutating, fault, status }), with counts per action
// and per fault type, so a test can assert "observe made no mutating call" and a chaos run can print
// faults injected by type. The emulator's own control API (/moto-api/...) passes through untouched
// and uncounted. Test support: never used by the controller itself. Its pure parts: aws-faults.ts
// decides which fault a call gets, aws-wire.ts reads calls and writes AWS's error shapes.
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import {
  AWS_FAULTS,
  type AwsCall,
  type AwsCallRecord,
  type AwsFault,
  callDraw,
  checkRates,
  type FaultRates,
  type FaultRule,
  faultForDraw,
  isMutatingAction,
  ruleMatches,
} from "./aws-faults.ts";
import {
  actionOf,
  CONTROL_PATH,
  type ErrorAnswer,
  errorBody,
  protocolOf,
  readBody,
  relay,
  resetSocket,
  serverErrorAnswer,
  serviceOf,
  throttleAnswer,
  type UpstreamAnswer,
} from "./aws-wire.ts";

export {
  AWS_FAULTS,
  type AwsCall,
  type AwsCallRecord,
  type AwsFault,
  callDraw,
  type FaultRates,
  type FaultRule,
  faultForDraw,
  isMutatingAction,
} from "./aws-faults.ts";

/** A rule once injected: how often it fired, and a way to wait for it. */
export interface InjectedRule {
  readonly rule: Readonly<FaultRule>;
  /** Calls this rule faulted so far. */
  readonly hits: number;
  /** The journal records of those calls. */
  readonly records: readonly AwsCallRecord[];
  /** Resolves when the rule has fired `times` times (never, for times = Infinity). */
  readonly done: Promise<void>;
  /** Stops the rule; calls from now on are not faulted by it. */
  remove(): void;
}

export interface AwsFaultProxyOptions {
  /** The emulator's endpoint, e.g. "http://localhost:4566". */
  target: string;
  /** Seeds the random faults. Default 1. */
  seed?: number;
  /** Random fault rates. Default: none (only rules inject faults). */
  rates?: FaultRates;
  /** Which calls random faults may hit. Default: every AWS call. Rules are not filtered by this. */
  randomFaultsOn?: (call: AwsCall) => boolean;
  /** How long a "slow" answer is held. Default SLOW_RESPONSE_MS. */
  slowMs?: number;
  /** The interface to listen on. Default 127.0.0.1. */
  host?: string;
}

/** Counts since the proxy started (or since resetCounts). */
export interface AwsFaultProxyStats {
  calls: number;
  mutatingCalls: number;
  callsByAction: Record<string, number>;
  faults: Record<AwsFault, number>;
  faultsByAction: Record<string, Partial<Record<AwsFault, number>>>;
  /** Calls to the emulator's control API (/moto-api/), passed through and not faulted. */
  controlCalls: number;
}

/**
 * Longer than setpoint's SDK request timeout (providers/aws/shared/clients.ts, 30s), so a slow
 * answer times the SDK out. Tests with their own short client timeout pass a smaller slowMs.
 */
export const SLOW_RESPONSE_MS = 35_000;

// ---------------------------------------------------------------------------

interface RuleState {
  rule: FaultRule;
  skipped: number;
  hits: number;
  records: AwsCallRecord[];
  removed: boolean;
  resolve: () => void;
  done: Promise<void>;
}

function emptyFaultCounts(): Record<AwsFault, number> {
  return Object.fromEntries(AWS_FAULTS.map((f) => [f, 0])) as Record<AwsFault, number>;
}

export class AwsFaultProxy {
  readonly seed: number;
  readonly #target: URL;
  readonly #server: http.Server;
  readonly #agent = new http.Agent({ keepAlive: true });
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #randomFaultsOn: (call: AwsCall) => boolean;
  readonly #slowMs: number;
  #rates: FaultRates;
  #rules: RuleState[] = [];
  #journal: AwsCallRecord[] = [];
  #seq = 0;
  /** Per service+action: how many calls were seen, for the n of callDraw. */
  readonly #nth = new Map<string, number>();
  #stats: AwsFaultProxyStats = AwsFaultProxy.#emptyStats();

  private constructor(opts: AwsFaultProxyOptions) {
    this.#target = new URL(opts.target);
    if (this.#target.protocol !== "http:") {
      throw new Error(`AwsFaultProxy forwards to plain http emulators only, not ${opts.target}`);
    }
    this.seed = opts.seed ?? 1;
    this.#rates = { ...(opts.rates ?? {}) };
    checkRates(this.#rates);
    this.#randomFaultsOn = opts.randomFaultsOn ?? (() => true);
    this.#slowMs = opts.slowMs ?? SLOW_RESPONSE_MS;
    this.#server = http.createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        // A proxy bug must not look like an AWS fault: answer plainly and say what broke.
        if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
        res.end(`aws-fault-proxy: ${err instanceof Error ? err.message : String(err)}`);
      });
    });
    this.#server.on("connection", (socket) => {
      this.#sockets.add(socket);
      socket.on("close", () => this.#sockets.delete(socket));
    });
  }

  /** Starts a proxy on a free loopback port in front of `opts.target`. */
  static async start(opts: AwsFaultProxyOptions): Promise<AwsFaultProxy> {
    const proxy = new AwsFaultProxy(opts);
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once("error", reject);
      proxy.#server.listen(0, opts.host ?? "127.0.0.1", () => resolve());
    });
    return proxy;
  }

  /** The endpoint to give SDK clients and ProviderConfig spec.endpoint. */
  get url(): string {
    const { address, port } = this.#server.address() as AddressInfo;
    return `http://${address.includes(":") ? `[${address}]` : address}:${port}`;
  }

  /** Replaces the random fault rates (for calm phases: `setRates({})`). */
  setRates(rates: FaultRates): void {
    checkRates(rates);
    this.#rates = { ...rates };
  }

  get rates(): Readonly<FaultRates> {
    return this.#rates;
  }

  /** Adds a deterministic rule; rules are tried in the order they were added, before random rates. */
  inject(rule: FaultRule): InjectedRule {
    if (!AWS_FAULTS.includes(rule.fault)) throw new Error(`unknown fault ${JSON.stringify(rule.fault)}`);
    if (rule.fault === "refuse" && !rule.refusal)
      throw new Error('a "refuse" rule needs the refusal to answer with');
    let resolve!: () => void;
    const done = new Promise<void>((r) => {
      resolve = r;
    });
    const state: RuleState = {
      rule: { ...rule },
      skipped: 0,
      hits: 0,
      records: [],
      removed: false,
      resolve,
      done,
    };
    this.#rules.push(state);
    const rules = () => this.#rules;
    return {
      rule: state.rule,
      get hits() {
        return state.hits;
      },
      get records() {
        return state.records;
      },
      done,
      remove: () => {
        state.removed = true;
        this.#rules = rules().filter((r) => r !== state);
      },
    };
  }

  /** Removes every rule. */
  clearRules(): void {
    for (const r of this.#rules) r.removed = true;
    this.#rules = [];
  }

  /** A copy of the counts. */
  stats(): AwsFaultProxyStats {
    return structuredClone(this.#stats);
  }

  /** Zeroes the counts and the journal (not the per-action call numbers the random draws use). */
  resetCounts(): void {
    this.#stats = AwsFaultProxy.#emptyStats();
    this.#journal = [];
  }

  /** The sequence number of the last call seen; pass it to callsSince. */
  mark(): number {
    return this.#seq;
  }

  /** Journal records after `mark`, optionally filtered. */
  callsSince(mark: number, filter: (r: AwsCallRecord) => boolean = () => true): AwsCallRecord[] {
    return this.#journal.filter((r) => r.seq > mark && filter(r));
  }

  /** Every journal record (since start or resetCounts), optionally filtered. */
  calls(filter: (r: AwsCallRecord) => boolean = () => true): AwsCallRecord[] {
    return this.#journal.filter(filter);
  }

  /** Stops listening, resets every open connection and drops held answers. */
  async close(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const s of this.#sockets) s.destroy();
    this.#agent.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  static #emptyStats(): AwsFaultProxyStats {
    return {
      calls: 0,
      mutatingCalls: 0,
      callsByAction: {},
      faults: emptyFaultCounts(),
      faultsByAction: {},
      controlCalls: 0,
    };
  }

  #decide(call: AwsCall, record: AwsCallRecord): { fault: AwsFault; rule?: FaultRule } | undefined {
    // Counted before the rules, so a rule firing does not shift the random draws of later calls.
    const key = `${call.service}\0${call.action}`;
    const n = (this.#nth.get(key) ?? 0) + 1;
    this.#nth.set(key, n);
    for (const state of this.#rules) {
      if (state.removed || !ruleMatches(state.rule, call)) continue;
      if (state.skipped < (state.rule.skip ?? 0)) {
        state.skipped++;
        continue;
      }
      state.hits++;
      state.records.push(record);
      if (state.hits >= (state.rule.times ?? 1)) {
        state.removed = true;
        this.#rules = this.#rules.filter((r) => r !== state);
        state.resolve();
      }
      return { fault: state.rule.fault, rule: state.rule };
    }
    if (!this.#randomFaultsOn(call)) return undefined;
    const fault = faultForDraw(callDraw(this.seed, call.service, call.action, n), this.#rates);
    return fault ? { fault } : undefined;
  }

  /** Waits `slowMs`, or less if the caller closes the connection first (its own timeout). */
  #hold(socket: Socket): Promise<void> {
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.#timers.delete(timer);
        socket.off("close", finish);
        resolve();
      };
      const timer = setTimeout(finish, this.#slowMs);
      this.#timers.add(timer);
      socket.once("close", finish);
    });
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    if ((req.url ?? "").startsWith(CONTROL_PATH)) {
      this.#stats.controlCalls++;
      const answer = await this.#forward(req, body);
      relay(res, answer);
      return;
    }
    const service = serviceOf(req.headers);
    const action = actionOf(req, body);
    const call: AwsCall = { service, action, mutating: isMutatingAction(action) };
    const record: AwsCallRecord = { ...call, seq: ++this.#seq, forwarded: false };
    this.#journal.push(record);
    this.#stats.calls++;
    if (call.mutating) this.#stats.mutatingCalls++;
    this.#stats.callsByAction[action] = (this.#stats.callsByAction[action] ?? 0) + 1;

    const decided = this.#decide(call, record);
    const fault = decided?.fault;
    if (fault) {
      record.fault = fault;
      this.#stats.faults[fault]++;
      const perAction = this.#stats.faultsByAction[action] ?? {};
      perAction[fault] = (perAction[fault] ?? 0) + 1;
      this.#stats.faultsByAction[action] = perAction;
    }
    const protocol = protocolOf(service, req);
    const requestId = `fault-proxy-${record.seq}`;
    const refusal = decided?.rule?.refusal;
    const error: ErrorAnswer | undefined =
      fault === "throttle"
        ? throttleAnswer(protocol)
        : fault === "serverError"
          ? serverErrorAnswer(protocol, callDraw(this.seed, "5xx", action, record.seq) < 0.5)
          : fault === "refuse" && refusal
            ? { status: refusal.status ?? 400, code: refusal.code, message: refusal.message, type: "Sender" }
            : undefined;
    if (error) {
      const { type, body: text } = errorBody(protocol, error, requestId);
      record.status = error.status;
      res.writeHead(error.status, {
        "content-type": type,
        "x-amzn-requestid": requestId,
        ...(protocol === "json" ? { "x-amzn-errortype": error.code } : {}),
      });
      res.end(text);
      return;
    }
    if (fault === "reset") {
      resetSocket(req.socket);
      return;
    }
    record.forwarded = true;
    const answer = await this.#forward(req, body);
    if (fault === "dropAfterApply") {
      resetSocket(req.socket);
      return;
    }
    if (fault === "slow") {
      await this.#hold(req.socket);
      if (req.socket.destroyed) return;
    }
    record.status = answer.status;
    relay(res, answer);
  }

  #forward(req: http.IncomingMessage, body: Buffer): Promise<UpstreamAnswer> {
    return new Promise((resolve, reject) => {
      const upstream = http.request(
        {
          protocol: this.#target.protocol,
          hostname: this.#target.hostname,
          port: this.#target.port,
          method: req.method,
          path: req.url,
          // The Host header stays the caller's: it is part of what SigV4 signed.
          headers: req.headers,
          agent: this.#agent,
        },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on("data", (c: Buffer) => chunks.push(c));
          answer.on("end", () =>
            resolve({
              status: answer.statusCode ?? 502,
              headers: answer.headers,
              body: Buffer.concat(chunks),
            }),
          );
          answer.on("error", reject);
        },
      );
      upstream.on("error", reject);
      upstream.end(body);
    });
  }
}
