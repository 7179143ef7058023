import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isTerminal } from "../../controller/provider.ts";
import { classifyFailure, cliErrorLines, isLocked, isStackNotFound, PulumiCodes } from "./errors.ts";

/** What the automation API throws for a failed command: its stderr in commandResult. */
const commandError = (stderr: string, name = "CommandError") =>
  Object.assign(new Error(`code: 1\n stderr: ${stderr}`), {
    name,
    commandResult: { stderr, stdout: "", code: 1 },
  });
const redact = (t: string) => t.replaceAll("hunter2", "[secret]");

describe("a failed Pulumi operation", () => {
  const cases: {
    name: string;
    input: Parameters<typeof classifyFailure>[0];
    terminal: string | false;
    message: RegExp;
  }[] = [
    {
      name: "is terminal when the program throws a TypeError, and says so",
      input: {
        operation: "up",
        error: commandError("error: ..."),
        diagnostics: [],
        programError: new TypeError("Cannot read properties of null (reading 'bucket')"),
        redact,
      },
      terminal: PulumiCodes.ProgramError,
      message: /^the program failed in pulumi up: TypeError: Cannot read properties of null/,
    },
    {
      name: "is transient when the program's own call fails on the network",
      input: {
        operation: "preview",
        error: commandError(""),
        diagnostics: [],
        programError: new Error("connect ECONNREFUSED 10.0.0.1:443"),
        redact,
      },
      terminal: false,
      message: /ECONNREFUSED/,
    },
    {
      name: "is terminal when a dynamic provider cannot find a package",
      input: {
        operation: "up",
        error: commandError(""),
        diagnostics: ["Cannot find package '@aws-sdk/client-s3' imported from /programs/"],
        redact,
      },
      terminal: PulumiCodes.ProgramError,
      message: /^pulumi up failed: Cannot find package/,
    },
    {
      name: "is terminal on a server-side apply conflict, with the apiserver's words",
      input: {
        operation: "up --refresh",
        error: commandError(""),
        diagnostics: ['Apply failed with 1 conflict: conflict with "kubectl-edit" using v1: .data.x'],
        redact,
      },
      terminal: PulumiCodes.Conflict,
      message: /conflict with "kubectl-edit"/,
    },
    {
      name: "is terminal when config the program requires is missing",
      input: {
        operation: "up",
        error: commandError(""),
        diagnostics: ["Missing required configuration variable 'team-a:bucketName'"],
        redact,
      },
      terminal: PulumiCodes.ConfigInvalid,
      message: /bucketName/,
    },
    {
      name: "is terminal on a wrong passphrase",
      input: {
        operation: "refresh --preview-only",
        error: commandError("error: getting secrets manager: incorrect passphrase"),
        diagnostics: [],
        redact,
      },
      terminal: PulumiCodes.PassphraseIncorrect,
      message: /incorrect passphrase/,
    },
    {
      name: "is transient when the backend cannot be reached",
      input: {
        operation: "stack tag ls",
        error: commandError(
          'error: read ".pulumi/meta.yaml": dial tcp 127.0.0.1:1: connect: connection refused',
        ),
        diagnostics: [],
        redact,
      },
      terminal: false,
      message: /connection refused/,
    },
    {
      name: "is transient when nothing says otherwise, and hides known secrets",
      input: {
        operation: "up",
        error: commandError(""),
        diagnostics: ["provider said hunter2 is busy"],
        redact,
      },
      terminal: false,
      message: /provider said \[secret\] is busy/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const err = classifyFailure(c.input);
      assert.equal(isTerminal(err) ? err.code : false, c.terminal);
      assert.match(err.message, c.message);
      assert.ok(!err.message.includes("hunter2"));
    });
  }
});

describe("the CLI's error output", () => {
  it("gives Pulumi's error: lines, without execa's command line or the S3 SDK's warnings", () => {
    const stderr = [
      "Command failed with exit code 1: /bin/pulumi up --yes",
      "SDK 2026/12/02 03:20:44 WARN Response has no supported checksum. Not validating response payload.",
      "error: the stack is currently locked by 1 lock(s).",
    ].join("\n");
    assert.deepEqual(cliErrorLines(commandError(stderr)), ["the stack is currently locked by 1 lock(s)."]);
    assert.ok(isLocked(commandError(stderr)));
  });

  it("tells a missing stack from other failures", () => {
    assert.ok(isStackNotFound(commandError("error: no stack named 'x' found")));
    assert.ok(!isStackNotFound(commandError("error: something else")));
  });
});
