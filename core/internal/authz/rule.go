package authz

import (
	"fmt"
	"slices"

	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
)

// Rule says who may call one procedure.
type Rule struct {
	// Public procedures need no credentials; a credential, when sent, is still checked
	// and attached to the context.
	Public bool
	// Roles may call the procedure. Ignored when Public.
	Roles []orgv1.Role
	// Audit marks a mutating procedure: its successful calls are written to the audit log.
	Audit bool
}

// Audited returns a copy of r that is recorded in the audit log.
func (r Rule) Audited() Rule {
	r.Audit = true
	r.Roles = slices.Clone(r.Roles)
	return r
}

// Allows reports whether role may call under r.
func (r Rule) Allows(role orgv1.Role) bool {
	return r.Public || slices.Contains(r.Roles, role)
}

// Common rules. Use these in the table so a reader sees intent, not role lists.
var (
	// Public needs no credentials.
	Public = Rule{Public: true}
	// SuperAdmin is the super admin only.
	SuperAdmin = Rule{Roles: []orgv1.Role{orgv1.Role_ROLE_SUPER_ADMIN}}
	// Admins are dealership admins (own dealership) and super admins.
	Admins = Rule{Roles: []orgv1.Role{orgv1.Role_ROLE_SUPER_ADMIN, orgv1.Role_ROLE_DEALERSHIP_ADMIN}}
	// Members are all people: super admins, dealership admins and trainees.
	Members = Rule{Roles: []orgv1.Role{orgv1.Role_ROLE_SUPER_ADMIN, orgv1.Role_ROLE_DEALERSHIP_ADMIN, orgv1.Role_ROLE_TRAINEE}}
	// MembersAndEdges are all people plus edge service identities.
	MembersAndEdges = Rule{Roles: []orgv1.Role{orgv1.Role_ROLE_SUPER_ADMIN, orgv1.Role_ROLE_DEALERSHIP_ADMIN, orgv1.Role_ROLE_TRAINEE, orgv1.Role_ROLE_EDGE_SERVICE}}
	// Edges are edge service identities (and super admins, for operations).
	Edges = Rule{Roles: []orgv1.Role{orgv1.Role_ROLE_SUPER_ADMIN, orgv1.Role_ROLE_EDGE_SERVICE}}
)

// Policy is a procedure → Rule table. It is immutable after construction and safe for
// concurrent use.
type Policy struct {
	rules map[string]Rule
}

// New returns a Policy over rules (copied).
func New(rules map[string]Rule) *Policy {
	m := make(map[string]Rule, len(rules))
	for k, v := range rules {
		m[k] = v
	}
	return &Policy{rules: m}
}

// Default returns the core's policy: the table in policy.go.
func Default() *Policy { return New(table) }

// Rule returns the rule for procedure ("/avatar.org.v1.OrgService/CreateUser").
func (p *Policy) Rule(procedure string) (Rule, bool) {
	r, ok := p.rules[procedure]
	return r, ok
}

// Procedures lists every procedure with an entry.
func (p *Policy) Procedures() []string {
	out := make([]string, 0, len(p.rules))
	for k := range p.rules {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Check returns nil when role may call procedure, an error wrapping ErrNoPolicy when the
// procedure is unknown, and one wrapping ErrRoleDenied otherwise.
func (p *Policy) Check(procedure string, role orgv1.Role) error {
	r, ok := p.rules[procedure]
	if !ok {
		return fmt.Errorf("%w: %s", ErrNoPolicy, procedure)
	}
	if !r.Allows(role) {
		return fmt.Errorf("%w: %s for %s", ErrRoleDenied, procedure, role)
	}
	return nil
}
