// The oldest Node that setpoint runs on, and the check that every entry point makes before it imports
// anything else. ESM evaluates a module's static imports before its first line, so an entry point that
// imports the program directly dies inside a dependency on an old Node (undici 8, under
// @kubernetes/client-node, throws `Cannot read properties of undefined (reading 'bind')` on Node 20)
// before it can say anything. Entry points are therefore thin shims: they import only this file (plain
// JavaScript without imports, which any Node can run), call requireNode(), and then import the program
// dynamically.

/**
 * undici 8.x needs 22.19.0, the highest floor among the bundled packages (scripts/bundle.test.ts
 * checks every one's engines field against it). package.json `engines.node` says the same
 * (bin/node-version.test.ts).
 */
export const MIN_NODE = "22.19.0";

/** Whether `version` ("24.1.0" or "v24.1.0") is at least `minimum`. */
export function isAtLeast(version, minimum = MIN_NODE) {
  const parse = (v) =>
    String(v)
      .replace(/^v/, "")
      .split(/[.-]/)
      .slice(0, 3)
      .map((n) => Number.parseInt(n, 10) || 0);
  const a = parse(version);
  const b = parse(minimum);
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
}

/**
 * Exits with status 1 and a message naming the Node needed, the Node found and what to do, when this
 * process runs on a Node older than MIN_NODE. `what` names the program ("setpoint", "npm test"); `hint`
 * says how to get the right Node in its context.
 */
export function requireNode(what, hint) {
  if (isAtLeast(process.versions.node)) return;
  process.stderr.write(
    `${what} needs Node ${MIN_NODE} or newer, but this is Node ${process.versions.node} (${process.execPath}).\n${hint}\n`,
  );
  process.exit(1);
}

/** The hint for programs that run from a checkout of the repository. */
export const CHECKOUT_HINT =
  "Run it through npm (`npm run setpoint -- ...`, `npm test`, `npm run bench -- ...`): npm puts the Node 24 " +
  "that `npm install` brings (the `node` devDependency, in node_modules/.bin) first on PATH. " +
  "Or put it first yourself: export PATH=$PWD/node_modules/.bin:$PATH";
