// The manager's Kubernetes port, built with client-node from a kubeconfig:
// one pooled connection set shared by every watch, store and writer.
import type { KubeConfig } from "@kubernetes/client-node";
import type { Managed, ManagedStatus } from "../api/managed.ts";
import { KubeConnectionSecretWriter } from "../kube/connection-secret.ts";
import { isNotFound } from "../kube/errors.ts";
import { KubeEventRecorder } from "../kube/events.ts";
import { KubeAccessImpl } from "../kube/kube-access.ts";
import { LeaderElector } from "../kube/leader-election.ts";
import { KubeManagedStore } from "../kube/managed-store.ts";
import { withPooledConnections } from "../kube/pooled-connections.ts";
import { type KubeObject, Reflector } from "../kube/reflector.ts";
import { type ManagedStore, ObjectGoneError } from "../reconciler/ports.ts";
import type { ManagerKube, WatchSpec } from "./ports.ts";

export function kubeClients(kubeConfig: KubeConfig): ManagerKube {
  const kc = withPooledConnections(kubeConfig);
  return {
    watch<T extends KubeObject>(spec: WatchSpec<T>) {
      const { group, version, plural, namespace, handlers, log } = spec;
      return new Reflector<T>({
        kubeConfig: kc,
        group,
        version,
        plural,
        ...(namespace ? { namespace } : {}),
        handlers,
        log,
      });
    },
    managedStore: (pluralOf) => goneAware(new KubeManagedStore(kc, {}, pluralOf)),
    eventRecorder: (log) => new KubeEventRecorder(kc, log),
    connectionSecretWriter: () => new KubeConnectionSecretWriter(kc),
    kubeAccess: () => new KubeAccessImpl(kc),
    leaderElector: ({ log, ...spec }) => new LeaderElector({ kubeConfig: kubeConfig, log, ...spec }),
  };
}

/** Turns the apiserver's 404 on a write into the reconciler's ObjectGoneError. */
function goneAware(store: ManagedStore): ManagedStore {
  const guard = async <T>(mr: Managed, write: () => Promise<T>): Promise<T> => {
    try {
      return await write();
    } catch (err) {
      if (isNotFound(err)) {
        throw new ObjectGoneError(`${mr.kind} ${mr.metadata.namespace ?? ""}/${mr.metadata.name} is gone`, {
          cause: err,
        });
      }
      throw err;
    }
  };
  return {
    patchMetadata: (mr, patch) => guard(mr, () => store.patchMetadata(mr, patch)),
    patchForProvider: (mr, values) => guard(mr, () => store.patchForProvider(mr, values)),
    writeStatus: (mr, status: ManagedStatus<unknown>) => guard(mr, () => store.writeStatus(mr, status)),
  };
}
