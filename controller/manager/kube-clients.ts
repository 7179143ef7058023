// The manager's Kubernetes port, built on controller/kube's client from a
// KubeClient (or a client-node KubeConfig, read into one): one connection
// pool shared by every watch, store and writer.
import type { Managed, ManagedStatus } from "../api/managed.ts";
import { type KubeTarget, kubeClientOf } from "../kube/client.ts";
import { KubeConnectionSecretWriter } from "../kube/connection-secret.ts";
import { isNotFound } from "../kube/errors.ts";
import { KubeEventRecorder } from "../kube/events.ts";
import { KubeAccessImpl } from "../kube/kube-access.ts";
import { LeaderElector } from "../kube/leader-election.ts";
import { KubeManagedStore } from "../kube/managed-store.ts";
import { type KubeObject, Reflector } from "../kube/reflector.ts";
import { SecretVersions } from "../kube/secret-versions.ts";
import { type ManagedStore, ObjectGoneError } from "../reconciler/ports.ts";
import type { ManagerKube, WatchSpec } from "./ports.ts";

export function kubeClients(target: KubeTarget): ManagerKube {
  const kc = kubeClientOf(target);
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
    connectionSecretWriter: (versions) =>
      new KubeConnectionSecretWriter(kc, versions ? { secretVersions: versions } : {}),
    secretVersions: ({ namespace, log }) =>
      new SecretVersions(kc, { ...(namespace ? { namespace } : {}), log }),
    kubeAccess: () => new KubeAccessImpl(kc),
    leaderElector: ({ log, ...spec }) => new LeaderElector({ kubeConfig: kc, log, ...spec }),
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
