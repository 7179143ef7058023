import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type SecretData, UnresolvedReferenceError } from "../../../controller/provider.ts";
import { fakeKube, sqlInstance } from "./fixtures.test-util.ts";
import {
  checkRotation,
  ensurePassword,
  GENERATED_PASSWORD_LENGTH,
  generatePassword,
  PasswordSecretError,
  type PasswordState,
  passwordProblem,
  passwordSource,
  requirePasswordBeforeCreate,
} from "./password.ts";

describe("generatePassword", () => {
  it("is long, starts with a letter and avoids the characters RDS forbids", () => {
    for (let i = 0; i < 200; i++) {
      const pw = generatePassword();
      assert.equal(pw.length, GENERATED_PASSWORD_LENGTH);
      assert.match(pw, /^[A-Za-z][A-Za-z0-9\-_.~]+$/);
      assert.doesNotMatch(pw, /[/@" ]/);
    }
  });
  it("does not repeat itself", () => {
    assert.notEqual(generatePassword(), generatePassword());
  });
});

describe("ensurePassword", () => {
  it("generates a password once and stores it in <name>-master-password", async () => {
    const { kube, secrets, applied } = fakeKube();
    const first = await ensurePassword(kube, sqlInstance());
    assert.deepEqual(applied, ["orders-master-password"]);
    assert.equal(secrets.get("team-a/orders-master-password")?.data.password, first.password);
    assert.equal(first.version, "100");
    const second = await ensurePassword(kube, sqlInstance());
    assert.equal(second.password, first.password, "regenerated although the Secret exists");
    assert.equal(applied.length, 1);
  });

  it("reads the user's Secret and key without writing anything", async () => {
    const { kube, applied } = fakeKube({
      "team-a/db-pw": { resourceVersion: "5", data: { pw: "s3cret-value" } },
    });
    const got = await ensurePassword(
      kube,
      sqlInstance({ masterPasswordSecretRef: { name: "db-pw", key: "pw" } }),
    );
    assert.deepEqual(got, { password: "s3cret-value", version: "5" });
    assert.equal(applied.length, 0);
  });

  const failures: { name: string; secrets: Record<string, SecretData>; mention: string }[] = [
    { name: "a missing user Secret", secrets: {}, mention: "team-a/db-pw not found" },
    {
      name: "a user Secret without the key",
      secrets: { "team-a/db-pw": { resourceVersion: "1", data: { other: "v4lue" } } },
      mention: 'no key "password"',
    },
  ];
  for (const f of failures) {
    it(`fails with a clear, value-free message for ${f.name}`, async () => {
      const { kube } = fakeKube(f.secrets);
      await assert.rejects(
        ensurePassword(kube, sqlInstance({ masterPasswordSecretRef: { name: "db-pw", key: "password" } })),
        (err: unknown) => {
          assert.ok(err instanceof PasswordSecretError);
          assert.ok(err.message.includes(f.mention), err.message);
          assert.ok(!err.message.includes("v4lue"));
          return true;
        },
      );
    });
  }
});

describe("passwordProblem: the master passwords RDS refuses, named without the value", () => {
  const cases: { name: string; engine: string; password: string; problem?: RegExp }[] = [
    { name: "a 12-character PostgreSQL password is fine", engine: "postgres", password: "s3cret-value" },
    {
      name: "7 characters are too few",
      engine: "postgres",
      password: "short12",
      problem: /has 7 characters, and RDS takes 8 to 128/,
    },
    { name: "MySQL stops at 41", engine: "mysql", password: "x".repeat(42), problem: /8 to 41 for mysql/ },
    { name: "Oracle stops at 30", engine: "oracle-ee", password: "x".repeat(31), problem: /8 to 30/ },
    { name: "an @ is refused", engine: "postgres", password: "pass@word1", problem: /character RDS refuses/ },
    { name: "a slash is refused", engine: "mysql", password: "pass/word1", problem: /character RDS refuses/ },
    {
      name: "a double quote is refused",
      engine: "postgres",
      password: 'pass"word1',
      problem: /character RDS refuses/,
    },
    { name: "Oracle refuses an ampersand", engine: "oracle-se2", password: "pass&word1", problem: /&/ },
    { name: "other engines take an ampersand", engine: "postgres", password: "pass&word1" },
    {
      name: "a non-ASCII letter is refused",
      engine: "postgres",
      password: "pässword12",
      problem: /printable ASCII/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = passwordProblem(c.engine, c.password);
      if (c.problem === undefined) assert.equal(got, undefined);
      else {
        assert.match(got ?? "", c.problem);
        assert.ok(!(got ?? "").includes(c.password), "the message repeats the password");
      }
    });
  }

  it("ensurePassword refuses a user password RDS would refuse, as a transient reference problem", async () => {
    const { kube } = fakeKube({ "team-a/db-pw": { resourceVersion: "1", data: { password: "v4lue@x" } } });
    await assert.rejects(
      ensurePassword(kube, sqlInstance({ masterPasswordSecretRef: { name: "db-pw", key: "password" } })),
      (err: unknown) =>
        err instanceof PasswordSecretError &&
        err instanceof UnresolvedReferenceError &&
        /Secret team-a\/db-pw \(key "password"\) cannot be used: it has 7 characters/.test(err.message) &&
        !err.message.includes("v4lue"),
    );
  });
});

describe("requirePasswordBeforeCreate", () => {
  const withRef = (annotations: Record<string, string> = {}, deleting = false) => {
    const mr = sqlInstance({ masterPasswordSecretRef: { name: "db-pw", key: "password" } });
    mr.metadata.annotations = { ...mr.metadata.annotations, ...annotations };
    if (deleting) mr.metadata.deletionTimestamp = "2026-01-01T00:00:00Z";
    return mr;
  };
  it("fails before the first create when the user's Secret is missing", async () => {
    await assert.rejects(requirePasswordBeforeCreate(fakeKube().kube, withRef()), PasswordSecretError);
  });
  it("lets a created instance be polled although its Secret went missing", async () => {
    await requirePasswordBeforeCreate(
      fakeKube().kube,
      withRef({ "setpoint.dev/external-create-succeeded": "t" }),
    );
  });
  it("never stands in the way of a deletion", async () => {
    await requirePasswordBeforeCreate(fakeKube().kube, withRef({}, true));
  });
  it("writes nothing for a generated password", async () => {
    const { kube, applied } = fakeKube();
    await requirePasswordBeforeCreate(kube, sqlInstance());
    assert.deepEqual(applied, []);
  });
});

describe("checkRotation", () => {
  const gen = passwordSource(sqlInstance());
  const user = passwordSource(sqlInstance({ masterPasswordSecretRef: { name: "db-pw", key: "password" } }));
  const state = (source = gen, version?: string, password?: string): PasswordState => {
    const s: PasswordState = { source };
    if (version !== undefined) s.version = version;
    if (password !== undefined) s.password = password;
    return s;
  };
  const cases: {
    name: string;
    state: PasswordState;
    previous?: string;
    rotate: boolean;
    reported?: string;
  }[] = [
    {
      name: "the first observation takes the current version as applied",
      state: state(gen, "3", "p"),
      rotate: false,
      reported: "3",
    },
    {
      name: "an unchanged version needs nothing",
      state: state(gen, "3", "p"),
      previous: "3",
      rotate: false,
      reported: "3",
    },
    {
      name: "a new version rotates, and the reported version waits for the update",
      state: state(user, "4", "p"),
      previous: "3",
      rotate: true,
      reported: "3",
    },
    {
      name: "a new version without a password value does not rotate",
      state: state(user, "4"),
      previous: "3",
      rotate: false,
      reported: "3",
    },
    {
      name: "a vanished generated Secret is recreated through a rotation",
      state: state(gen),
      previous: "3",
      rotate: true,
      reported: "3",
    },
    {
      name: "a vanished user Secret does not rotate",
      state: state(user),
      previous: "3",
      rotate: false,
      reported: "3",
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = checkRotation(c.state, c.previous === undefined ? {} : { applied: c.previous }, true);
      assert.equal(r.needsRotation, c.rotate);
      assert.equal(r.reportedVersion, c.reported);
      assert.equal(r.adoptedVersion, undefined);
    });
  }

  const adopted: {
    name: string;
    state: PasswordState;
    previous: { applied?: string; adopted?: string };
    expect: Partial<ReturnType<typeof checkRotation>>;
  }[] = [
    {
      name: "the first observation of an adopted instance records the Secret's version and claims no password",
      state: state(user, "3", "tenant-chose-this"),
      previous: {},
      expect: { needsRotation: false, adoptedVersion: "3", passwordKnown: false },
    },
    {
      name: "an adopted instance without a password Secret gets no generated password",
      state: state(gen),
      previous: {},
      expect: { needsRotation: false, adoptedVersion: "", passwordKnown: false },
    },
    {
      name: "an unchanged Secret leaves the adopted instance's password alone",
      state: state(user, "3", "p"),
      previous: { adopted: "3" },
      expect: { needsRotation: false, adoptedVersion: "3", passwordKnown: false },
    },
    {
      name: "a changed Secret hands the password over: setpoint sets it",
      state: state(user, "4", "p"),
      previous: { adopted: "3" },
      expect: { needsRotation: true, adoptedVersion: "3", passwordKnown: false },
    },
    {
      name: "a Secret created after adoption hands the password over too",
      state: state(user, "5", "p"),
      previous: { adopted: "" },
      expect: { needsRotation: true, passwordKnown: false },
    },
    {
      name: "once setpoint set it, the password is known",
      state: state(user, "4", "p"),
      previous: { applied: "4" },
      expect: { needsRotation: false, reportedVersion: "4", passwordKnown: true },
    },
  ];
  for (const c of adopted) {
    it(c.name, () => {
      const r = checkRotation(c.state, c.previous, false);
      for (const [k, v] of Object.entries(c.expect)) assert.equal(r[k as keyof typeof r], v, k);
    });
  }
});
