// `npm run setpoint -- <command>` from a checkout, through tsx. A thin shim: it checks the Node version
// before anything heavy is imported (see bin/node-version.mjs), then runs the program with the
// commands that need a checkout (demo, env). The compiled build's entry point is bin/setpoint.mjs.
import { CHECKOUT_HINT, requireNode } from "../bin/node-version.mjs";

requireNode("setpoint", CHECKOUT_HINT);
const { main, program } = await import("./program.ts");
const { addLocalCommands } = await import("./local-commands.ts");
await main(process.argv, addLocalCommands(program()));
