// A ConfigMap with labels, through Pulumi's kubernetes provider (pulumi-resource-kubernetes, built from
// the Go module proxy by controlplane/tools.ts): the example program for PulumiStack on Kubernetes.
// Drift comes from the provider's own detailedDiff.
//
// Config: kubeconfig (a secret: which cluster, and as whom; the controller's own service account is
// never given to a program), namespace, name, labels and data (JSON objects), patchForce ("true" by
// default), and token: a secret, which goes into a Secret <name>-token beside the ConfigMap.
//
// Three things the provider does that this program decides, on purpose:
// - enableConfigMapMutable: without it a change of data replaces the ConfigMap (delete, then create)
//   instead of updating it.
// - pulumi.com/patchForce: the provider applies with server-side apply, and a field someone else
//   changed (kubectl edit) is then owned by them: correcting it conflicts unless the apply is forced.
//   With patchForce "false", the correction fails with the apiserver's conflict, and setpoint reports
//   exactly that.
// - pulumi.com/deletionPropagationPolicy: background. The default is foreground, which waits for the
//   garbage collector to remove the ConfigMap's dependents; an apiserver without a controller manager
//   (the tests' own) never does, and the destroy hangs.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export default async () => {
  const config = new pulumi.Config();
  const provider = new k8s.Provider("target", {
    kubeconfig: config.requireSecret("kubeconfig"),
    enableConfigMapMutable: true,
  });
  const name = config.require("name");
  const metadata = (suffix: string) => ({
    name: `${name}${suffix}`,
    namespace: config.require("namespace"),
    labels: config.getObject<Record<string, string>>("labels") ?? {},
    annotations: {
      "pulumi.com/patchForce": config.get("patchForce") ?? "true",
      "pulumi.com/deletionPropagationPolicy": "background",
    },
  });
  const configMap = new k8s.core.v1.ConfigMap(
    "settings",
    { metadata: metadata(""), data: config.getObject<Record<string, string>>("data") ?? {} },
    { provider },
  );
  const token = config.getSecret("token");
  if (token)
    new k8s.core.v1.Secret("token", { metadata: metadata("-token"), stringData: { token } }, { provider });
  return { name: configMap.metadata.name, uid: configMap.metadata.uid };
};
