// Which Pulumi failures need a person (terminal: the spec or the program must change) and which only
// need time (transient: the engine retries with backoff). Pure: it reads the error Pulumi's automation
// API threw, the error diagnostics of the operation's events, and the exception the program itself
// threw, if it did (the program runs in this process, so that one is known exactly).
import { TerminalError } from "../../controller/provider.ts";

export const PulumiCodes = {
  /** The program or its dynamic provider has a bug (a TypeError, a missing module): fix the program. */
  ProgramError: "ProgramError",
  /** The spec names a program the controller was not started with. */
  ProgramNotFound: "ProgramNotFound",
  /** The controller serves no programs at all (no --pulumi-programs). */
  PulumiNotConfigured: "PulumiNotConfigured",
  ConfigInvalid: "ConfigInvalid",
  SecretNotFound: "SecretNotFound",
  PassphraseIncorrect: "PassphraseIncorrect",
  PluginMissing: "PluginMissing",
  /** Server-side apply refused to take a field another manager owns (pulumi.com/patchForce not set). */
  Conflict: "Conflict",
  /** The state is to live on the controller's disk, which this controller does not allow. */
  LocalStateNotAllowed: "LocalStateNotAllowed",
  /** stateRef.local.path names a folder outside the namespace's own state folder. */
  LocalStatePathRefused: "LocalStatePathRefused",
  /** A resource is protected (protect: true) and blocks the destroy. */
  ProtectedResource: "ProtectedResource",
} as const;

/** JavaScript's own errors of a program that is wrong, not unlucky. */
const CODE_BUG_NAMES = new Set([
  "TypeError",
  "ReferenceError",
  "SyntaxError",
  "RangeError",
  "EvalError",
  "URIError",
]);

const NETWORK = [
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EPIPE|socket hang up|fetch failed/i,
  /\b(connection refused|connection reset|i\/o timeout|no such host|TLS handshake timeout|dial tcp)\b/i,
  /\b(Throttl\w*|RequestLimitExceeded|SlowDown|ServiceUnavailable|InternalError|503|502|504)\b/,
];

const TERMINAL: { code: string; pattern: RegExp }[] = [
  { code: PulumiCodes.ProgramError, pattern: /\b(TypeError|ReferenceError|SyntaxError|RangeError):/ },
  {
    code: PulumiCodes.ProgramError,
    pattern: /Cannot find (module|package)|is not a function|is not a constructor/,
  },
  {
    code: PulumiCodes.ConfigInvalid,
    pattern: /Missing required configuration variable|configuration value .* is not a valid/i,
  },
  { code: PulumiCodes.PassphraseIncorrect, pattern: /incorrect passphrase|passphrase must be set/i },
  {
    code: PulumiCodes.PluginMissing,
    pattern: /no resource plugin|could not find plugin|failed to load plugin|plugin .* not found/i,
  },
  { code: PulumiCodes.Conflict, pattern: /Apply failed with \d+ conflicts?|the server reported a conflict/i },
  { code: PulumiCodes.ProtectedResource, pattern: /resource .* is protected|protected resources/i },
];

/** The CLI said the stack is locked by another update. */
export function isLocked(err: unknown): boolean {
  return stderrOf(err).includes("the stack is currently locked by");
}

export function isStackNotFound(err: unknown): boolean {
  return (
    (err as { name?: string }).name === "StackNotFoundError" || /no stack named .* found/.test(stderrOf(err))
  );
}

export function isStackAlreadyExists(err: unknown): boolean {
  return (
    (err as { name?: string }).name === "StackAlreadyExistsError" ||
    /stack .* already exists/.test(stderrOf(err))
  );
}

function stderrOf(err: unknown): string {
  const r = (err as { commandResult?: { stderr?: string } }).commandResult;
  return r?.stderr ?? (err instanceof Error ? err.message : String(err));
}

/** The last lines of the CLI's error output that say something: Pulumi's own "error:" lines first. */
export function cliErrorLines(err: unknown, max = 3): string[] {
  const lines = stderrOf(err)
    .split("\n")
    .map((l) => l.trim())
    .filter(
      (l) =>
        l && !l.startsWith("Command failed with exit code") && !/^SDK \d{4}\/\d\d\/\d\d .* WARN /.test(l),
    );
  const errors = lines.filter((l) => l.startsWith("error:")).map((l) => l.slice("error:".length).trim());
  return (errors.length > 0 ? errors : lines).slice(-max);
}

export interface FailureInput {
  /** up, preview, refresh, destroy, or a step such as "stack init". */
  operation: string;
  error: unknown;
  /** Error diagnostics from the operation's events (events.ts errorMessages). */
  diagnostics: readonly string[];
  /** What the program threw, when it threw (the wrapper in this process saw it). */
  programError?: unknown;
  /** Hides secret values in any text that is kept. */
  redact: (text: string) => string;
}

/**
 * The error to give the engine: a TerminalError with a code, or a plain Error (transient). Its message
 * starts with the Pulumi operation and carries Pulumi's own words, redacted.
 */
export function classifyFailure(f: FailureInput): Error {
  const programError = f.programError;
  if (programError !== undefined) {
    const text = f.redact(describe(programError));
    const name = (programError as { name?: string }).name ?? "";
    if (CODE_BUG_NAMES.has(name)) {
      return new TerminalError(
        PulumiCodes.ProgramError,
        `the program failed in pulumi ${f.operation}: ${text}`,
      );
    }
    if (NETWORK.some((p) => p.test(text)))
      return new Error(`the program failed in pulumi ${f.operation}: ${text}`);
    const code = TERMINAL.find((t) => t.pattern.test(text))?.code ?? PulumiCodes.ProgramError;
    return new TerminalError(code, `the program failed in pulumi ${f.operation}: ${text}`);
  }
  const said = f.diagnostics.length > 0 ? f.diagnostics.slice(0, 3) : cliErrorLines(f.error);
  const text = f.redact(said.join("; ") || describe(f.error));
  const message = `pulumi ${f.operation} failed: ${text}`;
  if (NETWORK.some((p) => p.test(text))) return new Error(message);
  const terminal = TERMINAL.find((t) => t.pattern.test(text));
  if (terminal) return new TerminalError(terminal.code, message);
  // Anything else may well pass on a retry (a provider's eventual consistency, a busy API).
  return new Error(message);
}

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`.replace(/\s+/g, " ").trim();
  return String(err);
}
