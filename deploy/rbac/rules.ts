// The Kubernetes RBAC that the controller needs: the one source for the Helm chart, the kustomize base
// and the tests that run the controller under exactly these rules. `npm run deploy:generate` writes
// them into deploy/helm/setpoint/files/rbac/, and deploy/generate.test.ts fails when that copy is stale.
//
// Each rule names the code that makes the call. A verb that no code path uses is not here; a verb that
// is missing fails test/e2e/chart-rbac.test.ts, which runs the controller under the chart's
// ServiceAccount token and reconciles a SqlInstance to Ready.
//
// The rules follow the registry (providers/index.ts, ALL.crds: every registry), so a new managed kind gets its rules by
// being registered there. Kinds of another API group get rules for that group.

import type { KindDefinition } from "../../controller/api/index.ts";
import { DEFAULTS } from "../../controller/manager/defaults.ts";
import { crdFor } from "../../crds/generate.ts";
import { ALL } from "../../providers/index.ts";

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** The Lease the controller's leader election uses (DEFAULTS.leaderElection.name in controller/manager/defaults.ts). */
export const LEADER_ELECTION_LEASE = DEFAULTS.leaderElection.name;

function byGroup(kinds: readonly KindDefinition[]): Map<string, KindDefinition[]> {
  const out = new Map<string, KindDefinition[]>();
  for (const k of kinds) {
    const g = k.group;
    out.set(g, [...(out.get(g) ?? []), k]);
  }
  return out;
}

/**
 * Cluster-wide: the managed kinds live in every tenant namespace, ProviderConfigs are cluster-scoped,
 * and the Secrets and Events the controller touches sit next to each resource.
 */
export function clusterRules(): PolicyRule[] {
  const rules: PolicyRule[] = [];
  for (const [group, kinds] of byGroup(ALL.crds)) {
    const managed = kinds.filter((k) => k.managed).map((k) => k.plural);
    const readOnly = kinds.filter((k) => !k.managed).map((k) => k.plural);
    if (managed.length > 0) {
      rules.push(
        // list + watch: the Reflector (controller/kube/reflector.ts, KubeListerWatcher in client.ts).
        // get: KubeManagedStore re-reads an object after a conflict (controller/kube/managed-store.ts).
        // patch: finalizers, the external-name annotation and late-initialized forProvider fields
        // (KubeManagedStore.patchMetadata / patchForProvider).
        { apiGroups: [group], resources: managed, verbs: ["get", "list", "watch", "patch"] },
        // update: the status subresource is written with a PUT of the status (writeStatus).
        { apiGroups: [group], resources: managed.map((p) => `${p}/status`), verbs: ["update"] },
        // The Secrets setpoint writes carry an ownerReference with blockOwnerDeletion, which the
        // OwnerReferencesPermissionEnforcement admission plugin (on in OpenShift and some hardened
        // clusters, and in the test apiserver) allows only to whom may update the owner's finalizers.
        { apiGroups: [group], resources: managed.map((p) => `${p}/finalizers`), verbs: ["update"] },
      );
    }
    if (readOnly.length > 0) {
      // list + watch: the ProviderConfig Reflector (controller/manager/manager.ts); providers read ProviderConfigs
      // from its cache (controller/cached-kube-access.ts), so no get.
      rules.push({ apiGroups: [group], resources: readOnly, verbs: ["list", "watch"] });
    }
  }
  rules.push(
    // list + watch: the Namespace Reflector (controller/manager/tenancy-source.ts NamespaceWatch), whose
    // labels the tenancy gate matches against each ProviderConfig's namespaceSelector and
    // adoption.namespaceSelector (controller/reconciler/tenancy.ts). No get: labels come from the cache.
    { apiGroups: [""], resources: ["namespaces"], verbs: ["list", "watch"] },
    // get: credentials named by a ProviderConfig's secretRef (any namespace the administrator chose) and
    // password Secrets named by a resource (providers/aws/shared/connection.ts, rds/password.ts).
    // create + update: generated passwords and connection Secrets, next to each resource
    // (controller/kube/secrets.ts upsertOwnedSecret: create, or a PUT of the whole Secret).
    // list + watch: the metadata-only Secret watch (controller/kube/secret-versions.ts, started by the
    // Manager), which tells CachedKubeAccess (controller/cached-kube-access.ts) and the connection-secret
    // writer when a Secret changed, so a password or credentials Secret is fetched once per
    // resourceVersion rather than once per poll (10,000 SqlInstances at a 20 s poll: 500 GETs a second).
    // What this widens: with get alone the controller reads only Secrets whose names it is given; with
    // list it can enumerate every Secret in its scope (cluster-wide, or run.namespace's), data included,
    // since RBAC cannot grant metadata without data nor narrow a list by name or label. Why that is
    // acceptable: the controller asks for PartialObjectMetadata only and keeps name, namespace, uid and
    // resourceVersion (no data, labels or annotations reach its memory or its logs); it already holds
    // get on every Secret and create/update on them, so a stolen token gains enumeration, not new write
    // power; and both peers grant as much (ACK rds-controller's ClusterRole: get, list, patch, watch on
    // secrets; Crossplane's core ClusterRole: get, list, watch, create, update). An administrator who refuses it binds these rules without list and
    // watch (rbac.create=false): the watch is then refused (logged, retried with backoff) and reads fall
    // back to one GET per poll behind a 5 s cache. A single-namespace install watches that namespace only.
    // No delete. Under OwnerReferencesPermissionEnforcement, adding an ownerReference to a Secret
    // that already exists (upsertOwnedSecret taking over an empty Secret that no one controls) is allowed
    // only to whom may delete it; that rare path is then refused and reported (Synced=False), which is
    // better than letting the controller delete any Secret in the cluster.
    { apiGroups: [""], resources: ["secrets"], verbs: ["get", "list", "watch", "create", "update"] },
    // create + patch: Events on each resource, in its namespace; repeats are patched to bump their
    // count (controller/kube/events.ts KubeEventSink).
    { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
  );
  return rules;
}

/**
 * For tenants, not the controller: what a team needs in its own namespace to use setpoint. The chart
 * ships them as ClusterRoles (setpoint-edit, setpoint-view) aggregated into the built-in edit/admin and
 * view roles, so a RoleBinding to `edit` in a tenant's namespace includes them. They name the managed
 * kinds only: no ProviderConfigs (cluster-scoped, the administrator's), and no /status (the controller's
 * record of what it did, e.g. the password version it applied, which a tenant must not forge).
 */
export function tenantEditRules(): PolicyRule[] {
  return managedByGroup().map(([group, plurals]) => ({
    apiGroups: [group],
    resources: plurals,
    verbs: ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"],
  }));
}

export function tenantViewRules(): PolicyRule[] {
  return managedByGroup().map(([group, plurals]) => ({
    apiGroups: [group],
    resources: plurals,
    verbs: ["get", "list", "watch"],
  }));
}

function managedByGroup(): [string, string[]][] {
  return [...byGroup(ALL.crds)]
    .map(([group, kinds]): [string, string[]] => [group, kinds.filter((k) => k.managed).map((k) => k.plural)])
    .filter(([, plurals]) => plurals.length > 0);
}

/**
 * Only with --install-crds: the controller server-side applies its CRDs at start and waits for them to
 * be Established (cli/install-crds.ts). Limited to setpoint's own CRDs by name; applying a CRD that
 * exists is a patch.
 */
export function crdRules(): PolicyRule[] {
  const names = ALL.crds.map((k) => (crdFor(k) as { metadata: { name: string } }).metadata.name);
  return [
    {
      apiGroups: ["apiextensions.k8s.io"],
      resources: ["customresourcedefinitions"],
      verbs: ["get", "patch"],
      resourceNames: names,
    },
  ];
}

/**
 * Server-side apply of a CRD that does not exist yet is a create, which RBAC checks as `create` (seen on
 * the test apiserver: get + patch by name are refused with "cannot create resource"), and a create cannot
 * be limited by name. So only for installs that skip the chart's crds/.
 */
export function crdCreateRules(): PolicyRule[] {
  return [
    { apiGroups: ["apiextensions.k8s.io"], resources: ["customresourcedefinitions"], verbs: ["create"] },
  ];
}

/**
 * In the leader election namespace only: the Lease (controller/kube/leader-election.ts KubeLeaseClient:
 * read, create, replace). get and update are limited to its name; create cannot be.
 */
export function leaderElectionRules(): PolicyRule[] {
  return [
    {
      apiGroups: ["coordination.k8s.io"],
      resources: ["leases"],
      verbs: ["get", "update"],
      resourceNames: [LEADER_ELECTION_LEASE],
    },
    { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
  ];
}
