// The logging surface the Kubernetes glue needs. It is the (object, message) shape pino uses, so the
// controller passes its pino logger straight in, while this package stays free of a logging dependency
// and tests can capture lines with a plain object.

export interface KubeLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLogger: KubeLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
