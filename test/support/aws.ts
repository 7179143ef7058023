// End-to-end support for the AWS kinds: installs setpoint's CRDs and a
// ProviderConfig that points at the test emulator, and starts the real
// engine with the real providers.
import { CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { GROUP, VERSION } from "../../apis/aws/v1alpha1/common.ts";
import { PROVIDER_CONFIG_PLURAL } from "../../apis/aws/v1alpha1/providerconfig.ts";
import type { Manager, ManagerOptions } from "../../controller/manager/index.ts";
import { EMULATOR_CREDENTIALS } from "../../localstack/seed.ts";
import { ALL, AWS } from "../../providers/index.ts";
import { installKinds, startEngine } from "./engine.ts";
import { awsEndpoint, awsRegion, testKubeConfig } from "./env.ts";

export const CREDENTIALS_NAMESPACE = "kube-system";

/**
 * Installs the CRDs and a ProviderConfig named `name` (default "default")
 * for the emulator, with credentials from a Secret. Idempotent. `endpoint`
 * replaces the emulator's own, e.g. with an AwsFaultProxy in front of it;
 * `spec` adds fields (namespaceSelector, adoption); `credentials` replaces the
 * emulator's shared key pair (an IAM user's keys).
 */
export async function installAwsProviderConfig(
  name = "default",
  opts: {
    endpoint?: string;
    spec?: Record<string, unknown>;
    credentials?: { accessKeyId: string; secretAccessKey: string };
  } = {},
): Promise<void> {
  const kc = testKubeConfig();
  await installKinds(kc, ALL.crds);
  const core = kc.makeApiClient(CoreV1Api);
  const secretName = `${name}-aws-credentials`;
  const secret = {
    metadata: { name: secretName, namespace: CREDENTIALS_NAMESPACE },
    stringData: {
      aws_access_key_id: (opts.credentials ?? EMULATOR_CREDENTIALS).accessKeyId,
      aws_secret_access_key: (opts.credentials ?? EMULATOR_CREDENTIALS).secretAccessKey,
    },
  };
  await core
    .createNamespacedSecret({ namespace: CREDENTIALS_NAMESPACE, body: secret })
    .catch(async (err: { code?: number }) => {
      if (err.code !== 409) throw err;
      await core.replaceNamespacedSecret({
        name: secretName,
        namespace: CREDENTIALS_NAMESPACE,
        body: secret,
      });
    });
  const api = kc.makeApiClient(CustomObjectsApi);
  const body = {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: "ProviderConfig",
    metadata: { name },
    spec: {
      region: awsRegion(),
      endpoint: opts.endpoint ?? awsEndpoint(),
      credentials: { source: "Secret", secretRef: { namespace: CREDENTIALS_NAMESPACE, name: secretName } },
      ...opts.spec,
    },
  };
  await api
    .createClusterCustomObject({ group: GROUP, version: VERSION, plural: PROVIDER_CONFIG_PLURAL, body })
    .catch(async (err: { code?: number }) => {
      if (err.code !== 409) throw err;
      const current = (await api.getClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural: PROVIDER_CONFIG_PLURAL,
        name,
      })) as { metadata: { resourceVersion: string } };
      await api.replaceClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural: PROVIDER_CONFIG_PLURAL,
        name,
        body: { ...body, metadata: { name, resourceVersion: current.metadata.resourceVersion } },
      });
    });
}

/** The real engine with the real AWS providers, scoped to one namespace, with fast polls. */
export async function startAwsEngine(
  namespace: string,
  overrides: Partial<ManagerOptions> = {},
): Promise<Manager> {
  return startEngine(AWS.kinds, { namespace, ...overrides });
}
