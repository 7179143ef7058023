// Structured logs with pino. Paths that could ever hold a secret are
// redacted at the logger, as a second line of defence behind the rule that
// secrets are never passed to it.
import { type Logger, pino } from "pino";

export type { Logger };

export const REDACT_PATHS = [
  "password",
  "*.password",
  "masterUserPassword",
  "*.MasterUserPassword",
  "secretAccessKey",
  "*.secretAccessKey",
  "sessionToken",
  "*.sessionToken",
  "data",
  "*.data",
];

export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: options.name ?? "setpoint",
    level: options.level ?? process.env.SETPOINT_LOG_LEVEL ?? "info",
    redact: { paths: REDACT_PATHS, censor: "(redacted)" },
    base: { pid: process.pid },
  });
}
