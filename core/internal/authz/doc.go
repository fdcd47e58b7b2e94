// Package authz is the core's authorization policy: one table that maps every RPC
// procedure the core serves to who may call it. It is deny-by-default: a procedure
// missing from the table is refused for everyone, and TestEveryProcedureHasPolicy fails
// until the procedure gets an entry.
//
// # Adding a procedure
//
// When you add an RPC (or a service) to the core, add one line per procedure to the
// table in policy.go, using the generated procedure constant and one of the rule values
// defined there:
//
//	scenariov1connect.ScenarioServiceCreateScenarioProcedure: Admins.Audited(),
//
// Public means no credentials are needed (Login, Refresh). Otherwise a Rule lists the
// roles that may call; Audited marks a mutating procedure, whose successful calls the
// audit interceptor records. A new service must also be listed in coreServices in
// policy_test.go so the completeness test covers it. Roles say who may call at all;
// tenancy (a dealership admin only sees their own dealership) is enforced by each
// service on top, and by PostgreSQL row-level security beneath.
package authz
