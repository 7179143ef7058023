// Names the ELBv2 mapping gives to what it finds: its TerminalError codes and
// the values drift shows for list items that are there or not.

/** Our own TerminalError codes (AWS codes are passed through as they are). */
export const Elbv2Codes = {
  /** The spec breaks a rule the CRD's CEL rules should have caught. */
  InvalidSpec: "InvalidSpec",
  /** A field AWS cannot change in place differs (type, scheme, a target group's protocol/port/targetType/vpcId). */
  ImmutableFieldChanged: "ImmutableFieldChanged",
} as const;

/** Rendered in drift for a list item that should exist but does not, and the reverse. */
export const PRESENT = "present";
export const MISSING = "missing";
export const ABSENT = "absent";
