// Compiled, never run: what a front-end writes against the generated types must type-check.
import type { ResultOf, VariablesOf } from "@graphql-typed-document-node/core";
import {
  AccessReviewDocument,
  BranchesDocument,
  MeDocument,
  MyPermissionsDocument,
  PolicyChangesDocument,
  ServiceAccountsDocument,
  SignInDocument,
} from "../generated/graphql";
import type { ErrorCode, Permission, Weekday } from "../generated/graphql";

// Root fields are nullable: a refused field is null beside its error, and the rest still answers.
type Me = NonNullable<ResultOf<typeof MeDocument>["me"]>;

export function membershipKey(me: Me | null): string[] {
  // one cache entry per branch and member: the membership's id includes the branch
  return me ? me.branchMemberships.map((m) => `${m.id}:${m.branch.code}`) : [];
}

export function signInVariables(employeeNumber: string, password: string): VariablesOf<typeof SignInDocument> {
  return { input: { employeeNumber, password } };
}

export function describeChange(
  change: NonNullable<NonNullable<ResultOf<typeof PolicyChangesDocument>["policyChanges"]>["edges"][number]>["node"],
): string {
  const after = change.afterState;
  const state = after.__typename === "PermissionState" ? String(after.granted) : after.roles.map((r) => r.label).join(", ");
  return `${change.category}: ${state} by ${change.actor}`;
}

// The roles a permission comes through are objects with their labels, not bare names.
export function whyHeld(held: NonNullable<ResultOf<typeof MyPermissionsDocument>["myPermissions"]>[number]): string {
  return `${held.permission.label}: ${held.viaRoles.map((role) => role.label).join(" / ")}`;
}

// Lists sort by a field and a direction.
export const newestBranches: VariablesOf<typeof BranchesDocument> = { orderBy: { field: "CREATED_AT", direction: "DESC" } };
export const accountsByName: VariablesOf<typeof ServiceAccountsDocument> = { orderBy: { field: "NAME" } };
export function reviewLikeTheReport(id: string): VariablesOf<typeof AccessReviewDocument> {
  return { id, itemsOrderBy: { field: "EMPLOYEE_NUMBER", direction: "ASC" } };
}

export const retryable: ErrorCode[] = ["RATE_LIMITED"];
export const resubscribe: ErrorCode[] = ["SUBSCRIBER_TOO_SLOW"];
export const pii: Permission = "CLIENT_PII_READ";
export const firstDay: Weekday = "MON";
