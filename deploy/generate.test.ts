import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { crdFileName } from "../crds/generate.ts";
import { CRD_DIR } from "../crds/write.ts";
import { ALL } from "../providers/index.ts";
import { parseRunHelp, runFlags } from "../test/support/run-flags.ts";
import { CHART_DIR, chartFiles, filesUnder, iamFiles, ROOT } from "./generate.ts";
import { clusterRules, tenantEditRules, tenantViewRules } from "./rbac/rules.ts";

const relativeKeys = (m: Map<string, string>) => [...m.keys()].map((p) => p.slice(ROOT.length + 1)).sort();

describe("the files deploy/ generates", () => {
  const expected = chartFiles();

  for (const [path, text] of [...expected, ...iamFiles()]) {
    it(`${path.slice(ROOT.length + 1)} is up to date (run \`npm run deploy:generate\`)`, async () => {
      assert.equal(await readFile(path, "utf8"), text);
    });
  }

  it("the chart's crds/ and files/rbac/ hold only generated files", async () => {
    const onDisk = [
      ...(await filesUnder(join(CHART_DIR, "crds"))),
      ...(await filesUnder(join(CHART_DIR, "files", "rbac"))),
    ].sort();
    assert.deepEqual(onDisk, relativeKeys(expected));
  });

  it("the chart installs the same CRDs as crds/", async () => {
    for (const def of ALL.crds) {
      assert.equal(
        await readFile(join(CHART_DIR, "crds", crdFileName(def)), "utf8"),
        await readFile(join(CRD_DIR, crdFileName(def)), "utf8"),
      );
    }
  });
});

describe("the RBAC rules", () => {
  it("let the controller watch Secrets (for their versions) and write them, but never delete or patch one", () => {
    const secretRules = clusterRules().filter((r) => r.resources.includes("secrets"));
    assert.deepEqual(secretRules.flatMap((r) => r.verbs).sort(), [
      "create",
      "get",
      "list",
      "update",
      "watch",
    ]);
  });

  it("let the controller read Namespaces only through its watch, for their labels", () => {
    const rules = clusterRules().filter((r) => r.resources.includes("namespaces"));
    assert.deepEqual(rules.flatMap((r) => r.verbs).sort(), ["list", "watch"]);
  });

  it("give tenants the managed kinds only: no ProviderConfigs, no status, no Secrets", () => {
    for (const r of [...tenantEditRules(), ...tenantViewRules()]) {
      const managed = ALL.crds.filter((k) => k.managed && k.group === r.apiGroups[0]).map((k) => k.plural);
      assert.deepEqual([...r.resources].sort(), managed.sort(), JSON.stringify(r));
    }
    assert.ok(tenantViewRules().every((r) => r.verbs.every((v) => ["get", "list", "watch"].includes(v))));
  });

  it("grant no delete and no wildcard anywhere", () => {
    for (const r of clusterRules()) {
      assert.ok(!r.verbs.includes("delete") && !r.verbs.includes("*"), JSON.stringify(r));
      assert.ok(!r.resources.includes("*") && !r.apiGroups.includes("*"), JSON.stringify(r));
    }
  });
});

describe("the chart's values", () => {
  // Where the chart's default differs from the flag's, on purpose.
  const CHART_DEFAULTS: Record<string, { value: unknown; why: string }> = {
    leaderElect: { value: true, why: "two replicas" },
    leaderElectionNamespace: { value: "", why: "the release namespace" },
    installCrds: { value: true, why: "Helm does not upgrade CRDs; the controller applies its own" },
  };

  it("cover every `setpoint run` flag under run:, with the flag's default", async () => {
    const values = parse(await readFile(join(CHART_DIR, "values.yaml"), "utf8")) as {
      run: Record<string, unknown>;
    };
    const flags = await runFlags();
    const missing = flags
      .filter((f) => !Object.hasOwn(values.run, f.key))
      .map((f) => `--${f.flag} (run.${f.key})`);
    assert.deepEqual(
      missing,
      [],
      "add each flag to deploy/helm/setpoint/values.yaml and templates/deployment.yaml",
    );
    for (const f of flags) {
      const chart = values.run[f.key];
      const expected =
        f.key in CHART_DEFAULTS ? CHART_DEFAULTS[f.key]?.value : (f.default ?? "").replace(/^"|"$/g, "");
      assert.equal(String(chart), String(expected), `run.${f.key}`);
    }
    const unknown = Object.keys(values.run).filter((k) => !flags.some((f) => f.key === k));
    assert.deepEqual(unknown, [], "values under run: that are no flag of `setpoint run`");
  });

  it("use the package's version as the chart's appVersion, which is the image tag by default", async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { version: string };
    const chart = parse(await readFile(join(CHART_DIR, "Chart.yaml"), "utf8")) as { appVersion: string };
    assert.equal(chart.appVersion, pkg.version);
  });
});

describe("reading `setpoint run --help`", () => {
  it("joins an option's wrapped lines and finds its flag, variable and default", () => {
    const help = [
      "Usage: setpoint run [options]",
      "",
      "Options:",
      "  --poll-interval <d>   poll interval of a steady resource (default:",
      '                        "60s", env: SETPOINT_POLL_INTERVAL)',
      "  --cloud-budget <list> calls per second (env:",
      "                        SETPOINT_CLOUD_BUDGET)",
      "  -h, --help            display help for command",
    ].join("\n");
    assert.deepEqual(parseRunHelp(help), [
      { flag: "poll-interval", key: "pollInterval", env: "SETPOINT_POLL_INTERVAL", default: '"60s"' },
      { flag: "cloud-budget", key: "cloudBudget", env: "SETPOINT_CLOUD_BUDGET", default: undefined },
    ]);
  });
});
