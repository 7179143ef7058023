// A Kubernetes LabelSelector (meta/v1): its schema, for config kinds that let an
// administrator choose namespaces, and its meaning, as the API server's own
// selectors have it (k8s.io/apimachinery labels.SelectorFromSet and
// metav1.LabelSelectorAsSelector): every matchLabels pair and every
// matchExpressions requirement must hold; an empty selector selects everything.
import { z } from "zod";

export const LabelSelectorOperator = z.enum(["In", "NotIn", "Exists", "DoesNotExist"]);

export const LabelSelectorRequirement = z
  .object({
    key: z.string().min(1).max(317).meta({ description: "The label key the requirement applies to." }),
    operator: LabelSelectorOperator.meta({
      description: "In, NotIn, Exists or DoesNotExist.",
    }),
    values: z
      .array(z.string().max(63))
      .max(64)
      .optional()
      .meta({ description: "Values for In and NotIn (at least one); empty for Exists and DoesNotExist." }),
  })
  .meta({
    description: "One requirement on a label, as in a Kubernetes LabelSelector.",
    "x-kubernetes-validations": [
      {
        rule: "self.operator in ['In', 'NotIn'] ? (has(self.values) && size(self.values) > 0) : (!has(self.values) || size(self.values) == 0)",
        message: "In and NotIn need at least one value; Exists and DoesNotExist take none",
      },
    ],
  });

export const LabelSelector = z
  .object({
    matchLabels: z
      .record(z.string().min(1).max(317), z.string().max(63))
      .optional()
      .meta({ description: "Labels the object must carry, each with exactly this value." }),
    matchExpressions: z
      .array(LabelSelectorRequirement)
      .max(32)
      .optional()
      .meta({ description: "Requirements that must all hold." }),
  })
  .meta({ description: "A Kubernetes label selector. An empty selector selects everything." });
export type LabelSelector = z.infer<typeof LabelSelector>;

/** True when `labels` satisfy `selector`: all matchLabels and all matchExpressions. */
export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, req.key);
    const values = req.values ?? [];
    switch (req.operator) {
      case "In":
        if (!has || !values.includes(labels[req.key] as string)) return false;
        break;
      case "NotIn":
        if (has && values.includes(labels[req.key] as string)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
    }
  }
  return true;
}

/** A selector in kubectl's words (`team=a,env in (prod,dev),!legacy`), for messages. */
export function describeSelector(selector: LabelSelector): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const req of selector.matchExpressions ?? []) {
    const values = (req.values ?? []).join(",");
    if (req.operator === "In") parts.push(`${req.key} in (${values})`);
    else if (req.operator === "NotIn") parts.push(`${req.key} notin (${values})`);
    else if (req.operator === "Exists") parts.push(req.key);
    else parts.push(`!${req.key}`);
  }
  return parts.length > 0 ? parts.join(",") : "(everything)";
}
