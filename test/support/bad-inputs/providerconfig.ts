// Bad ProviderConfigs. What the schema can see is refused at admission; a
// credentials Secret that is missing or incomplete can only be seen when a
// resource uses the ProviderConfig, and that resource says so.
import { EMULATOR_CREDENTIALS } from "../../../localstack/seed.ts";
import { answered, type Entry, type Json, merge, rejected } from "./catalogue.ts";
import { LB_BASE } from "./loadbalancer.ts";
import { SQL_BASE } from "./sqlinstance.ts";

const PC_BASE: Json = {
  region: "us-east-1",
  endpoint: "http://localhost:4566",
  credentials: { source: "Secret", secretRef: { namespace: "kube-system", name: "aws-credentials" } },
};

type Category = Parameters<typeof rejected>[0]["category"];

function bad(name: string, category: Category, spec: Json, field: string, message: string | RegExp): Entry {
  return rejected({
    name: `a ProviderConfig with ${name}`,
    kind: "ProviderConfig",
    category,
    spec,
    expect: { field, message },
  });
}
const pc = (patch: Json) => merge(PC_BASE, patch);
const secretRef = (patch: Json) => pc({ credentials: { secretRef: patch } });
const without = (key: string): Json => Object.fromEntries(Object.entries(PC_BASE).filter(([k]) => k !== key));

/** A resource of `kind` that uses a ProviderConfig whose credentials Secret is `secret` (absent: none). */
function credentialsEntry(
  name: string,
  kind: "SqlInstance" | "LoadBalancer",
  secret: Record<string, string> | undefined,
  message: RegExp,
  keys: Json = {},
): Entry {
  return answered({
    name: `a ${kind} whose ProviderConfig's ${name}`,
    kind: "ProviderConfig",
    category: "Secret",
    providerConfig: (c) => ({
      region: c.region,
      endpoint: c.endpoint,
      credentials: {
        source: "Secret",
        secretRef: { namespace: c.namespace, name: `${c.name}-creds`, ...keys },
      },
    }),
    secrets: (c) => (secret ? [{ namespace: c.namespace, name: `${c.name}-creds`, data: secret }] : []),
    resource: (c) => ({
      kind,
      spec: {
        ...(kind === "SqlInstance" ? SQL_BASE : LB_BASE),
        providerConfigRef: { name: c.providerConfig },
      },
    }),
    expect: { reason: "ReconcileTerminal", message, event: "CannotConnectToProvider", maxCloudCalls: 0 },
  });
}

const KEYS = {
  aws_access_key_id: EMULATOR_CREDENTIALS.accessKeyId,
  aws_secret_access_key: EMULATOR_CREDENTIALS.secretAccessKey,
};

export const PROVIDER_CONFIG_ENTRIES: Entry[] = [
  bad(
    'region "EU-WEST-1", in capitals',
    "name AWS refuses",
    pc({ region: "EU-WEST-1" }),
    "spec.region",
    "should match",
  ),
  bad("no region", "wrong type", without("region"), "spec.region", "Required value"),
  bad("region as a number", "wrong type", pc({ region: 5 }), "spec.region", "must be of type string"),
  bad(
    "a 40-character region",
    "empty or huge string",
    pc({ region: `eu-${"west".repeat(9)}-1` }),
    "spec.region",
    /Too long|at most 32/,
  ),
  bad(
    "an ftp:// endpoint",
    "name AWS refuses",
    pc({ endpoint: "ftp://localhost:4566" }),
    "spec.endpoint",
    "should match",
  ),
  bad(
    "an endpoint with a space",
    "name AWS refuses",
    pc({ endpoint: "http://local host:4566" }),
    "spec.endpoint",
    "should match",
  ),
  bad(
    "a 3,000-character endpoint",
    "empty or huge string",
    pc({ endpoint: `http://${"a".repeat(3000)}` }),
    "spec.endpoint",
    /Too long|at most 2048/,
  ),
  bad(
    "credentials from Vault",
    "unknown enum value",
    pc({ credentials: { source: "Vault" } }),
    "spec.credentials.source",
    "Unsupported value",
  ),
  bad("no credentials", "wrong type", without("credentials"), "spec.credentials", "Required value"),
  bad(
    "source Secret but no secretRef",
    "cross-field rule",
    { ...PC_BASE, credentials: { source: "Secret" } },
    "spec.credentials",
    "source Secret needs secretRef",
  ),
  bad(
    "source Environment and a secretRef it would ignore",
    "contradictory policy",
    pc({ credentials: { source: "Environment" } }),
    "spec.credentials.secretRef",
    "secretRef is read only with source Secret",
  ),
  bad(
    "a Secret named Bad_Name",
    "name AWS refuses",
    secretRef({ name: "Bad_Name" }),
    "spec.credentials.secretRef.name",
    "should match",
  ),
  bad(
    "a Secret namespace Kube_System",
    "name AWS refuses",
    secretRef({ namespace: "Kube_System" }),
    "spec.credentials.secretRef.namespace",
    "should match",
  ),
  bad(
    "a 64-character Secret namespace",
    "empty or huge string",
    secretRef({ namespace: "n".repeat(64) }),
    "spec.credentials.secretRef.namespace",
    /Too long|at most 63/,
  ),
  bad(
    "an empty Secret name",
    "empty or huge string",
    secretRef({ name: "" }),
    "spec.credentials.secretRef.name",
    /at least 1 chars/,
  ),
  bad(
    'a Secret key "access key", with a space',
    "name AWS refuses",
    secretRef({ accessKeyIdKey: "access key" }),
    "spec.credentials.secretRef.accessKeyIdKey",
    "should match",
  ),
  rejected({
    name: "a ProviderConfig with an unknown field in spec",
    kind: "ProviderConfig",
    category: "unknown field",
    spec: pc({ regoin: "eu-west-1" }),
    strict: true,
    expect: { field: "spec.regoin", message: "unknown field" },
  }),
  rejected({
    name: "a ProviderConfig with an unknown field in secretRef",
    kind: "ProviderConfig",
    category: "unknown field",
    spec: secretRef({ key: "credentials" }),
    strict: true,
    expect: { field: "spec.credentials.secretRef.key", message: "unknown field" },
  }),
  bad(
    "a namespaceSelector operator Banana",
    "unknown enum value",
    pc({ namespaceSelector: { matchExpressions: [{ key: "team", operator: "Banana" }] } }),
    "spec.namespaceSelector.matchExpressions[0].operator",
    "Unsupported value",
  ),
  bad(
    "a namespaceSelector In without values",
    "cross-field rule",
    pc({ namespaceSelector: { matchExpressions: [{ key: "team", operator: "In" }] } }),
    "spec.namespaceSelector.matchExpressions[0]",
    "In and NotIn need at least one value",
  ),
  bad(
    "adoption policy Maybe",
    "unknown enum value",
    pc({ adoption: { policy: "Maybe" } }),
    "spec.adoption.policy",
    "Unsupported value",
  ),
  bad(
    "adoption policy Forbid and a selector of who may adopt",
    "contradictory policy",
    pc({ adoption: { policy: "Forbid", namespaceSelector: { matchLabels: { team: "a" } } } }),
    "spec.adoption.namespaceSelector",
    "adoption.namespaceSelector is read only with policy Allow",
  ),
  answered({
    name: "a SqlInstance in a namespace its ProviderConfig's namespaceSelector leaves out",
    kind: "ProviderConfig",
    category: "cross-field rule",
    providerConfig: (c) => ({
      region: c.region,
      endpoint: c.endpoint,
      credentials: { source: "Secret", secretRef: { namespace: c.namespace, name: `${c.name}-creds` } },
      namespaceSelector: { matchLabels: { team: "someone-else" } },
    }),
    secrets: (c) => [{ namespace: c.namespace, name: `${c.name}-creds`, data: KEYS }],
    resource: (c) => ({
      kind: "SqlInstance",
      spec: { ...SQL_BASE, providerConfigRef: { name: c.providerConfig } },
    }),
    expect: {
      reason: "ReconcileTerminal",
      message:
        /NamespaceNotAllowed: namespace ".+" may not use .+: its spec\.namespaceSelector \(.+\) does not select the namespace/,
      event: "CannotUseProviderConfig",
      maxCloudCalls: 0,
    },
  }),
  credentialsEntry(
    "credentials Secret does not exist",
    "SqlInstance",
    undefined,
    /^cannot connect to provider: CredentialsSecretNotFound: credentials Secret .+-creds of ProviderConfig ".+" not found/,
  ),
  credentialsEntry(
    "credentials Secret has no secret access key",
    "SqlInstance",
    { aws_access_key_id: KEYS.aws_access_key_id },
    /CredentialsSecretInvalid: .+ has no value for key\(s\) aws_secret_access_key/,
  ),
  credentialsEntry(
    "credentials Secret does not exist",
    "LoadBalancer",
    undefined,
    /CredentialsSecretNotFound: credentials Secret .+-creds of ProviderConfig ".+" not found/,
  ),
  credentialsEntry(
    "credentials Secret lacks the keys its secretRef names",
    "LoadBalancer",
    KEYS,
    /CredentialsSecretInvalid: .+ has no value for key\(s\) id, secret/,
    { accessKeyIdKey: "id", secretAccessKeyKey: "secret" },
  ),
];
