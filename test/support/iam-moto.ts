// A moto of its own that enforces IAM, for testing the shipped IAM policies (the shared test moto runs
// without authentication, and must stay that way for every other test).
//
// moto authenticates and authorises a request once INITIAL_NO_AUTH_ACTION_COUNT requests have passed
// unauthenticated (moto docs, iam.rst). Counting calls is brittle (seeding makes a varying number), so
// this starts moto with the default (never authenticate), seeds it, creates the IAM users, policies and
// access keys while nothing is checked yet, and then POSTs 0 to /moto-api/reset-auth: from the next
// request on, every call must be signed with a known access key and be allowed by its user's policies.
//
// Before enforcement, IAM is called through its query API with an Authorization header that only names
// the service (moto routes by the credential scope and does not check signatures yet): the project has
// no IAM SDK client, and these calls exist only to set up the test.
import { type Moto, startMoto } from "../../localstack/moto.ts";
import { SEED_REGION } from "../../localstack/seed.ts";

export interface AccessKey {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface IamMoto {
  endpoint: string;
  /** A user with exactly `policy` attached, and an access key of it. Only before enforce(). */
  user(name: string, policy: object): Promise<AccessKey>;
  /** Turns authentication and authorisation on for every later request. */
  enforce(): Promise<void>;
  stop(): Promise<void>;
}

const ACCOUNT = "123456789012";

export async function startIamMoto(): Promise<IamMoto> {
  const moto: Moto = await startMoto();
  let enforced = false;

  async function iam(params: Record<string, string>): Promise<string> {
    const body = new URLSearchParams({ ...params, Version: "2010-05-08" });
    const res = await fetch(moto.endpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Authorization: `AWS4-HMAC-SHA256 Credential=setup/20260101/${SEED_REGION}/iam/aws4_request, SignedHeaders=host, Signature=unchecked`,
      },
      body,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`IAM ${params.Action} answered ${res.status}: ${text}`);
    return text;
  }

  const field = (xml: string, tag: string) => {
    const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
    if (!m?.[1]) throw new Error(`no ${tag} in ${xml}`);
    return m[1];
  };

  return {
    endpoint: moto.endpoint,
    async user(name, policy) {
      if (enforced) throw new Error("users are made before enforce()");
      await iam({ Action: "CreateUser", UserName: name });
      await iam({
        Action: "CreatePolicy",
        PolicyName: `${name}-policy`,
        PolicyDocument: JSON.stringify(policy),
      });
      await iam({
        Action: "AttachUserPolicy",
        UserName: name,
        PolicyArn: `arn:aws:iam::${ACCOUNT}:policy/${name}-policy`,
      });
      const key = await iam({ Action: "CreateAccessKey", UserName: name });
      return { accessKeyId: field(key, "AccessKeyId"), secretAccessKey: field(key, "SecretAccessKey") };
    },
    async enforce() {
      const res = await fetch(`${moto.endpoint}/moto-api/reset-auth`, { method: "POST", body: "0" });
      if (!res.ok) throw new Error(`moto reset-auth answered ${res.status}: ${await res.text()}`);
      enforced = true;
    },
    stop: () => moto.stop(),
  };
}
