package authz_test

import (
	"errors"
	"fmt"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/avatar-fi/avatar/core/internal/authz"
	analyticsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/analytics/v1"
	authv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/auth/v1"
	knowledgev1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1"
	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
	regionv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/region/v1"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
)

// coreServices are the proto files whose services the core serves. A new core service
// goes here, so that its procedures must have policy entries.
var coreServices = []protoreflect.FileDescriptor{
	authv1.File_avatar_auth_v1_auth_proto,
	orgv1.File_avatar_org_v1_org_proto,
	knowledgev1.File_avatar_knowledge_v1_knowledge_proto,
	scenariov1.File_avatar_scenario_v1_scenario_proto,
	analyticsv1.File_avatar_analytics_v1_analytics_proto,
	regionv1.File_avatar_region_v1_region_proto,
}

// TestEveryProcedureHasPolicy fails for any core procedure without a policy entry, and
// for any entry that names no procedure (a typo or a removed RPC).
func TestEveryProcedureHasPolicy(t *testing.T) {
	t.Parallel()
	p := authz.Default()
	served := map[string]bool{}
	for _, fd := range coreServices {
		svcs := fd.Services()
		for i := range svcs.Len() {
			svc := svcs.Get(i)
			methods := svc.Methods()
			for j := range methods.Len() {
				proc := fmt.Sprintf("/%s/%s", svc.FullName(), methods.Get(j).Name())
				served[proc] = true
				if _, ok := p.Rule(proc); !ok {
					t.Errorf("%s has no entry in authz/policy.go", proc)
				}
			}
		}
	}
	for _, proc := range p.Procedures() {
		if !served[proc] {
			t.Errorf("policy entry %s names no core procedure", proc)
		}
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	p := authz.Default()
	tests := []struct {
		name string
		proc string
		role orgv1.Role
		want error
	}{
		{name: "trainee cannot create users", proc: "/avatar.org.v1.OrgService/CreateUser", role: orgv1.Role_ROLE_TRAINEE, want: authz.ErrRoleDenied},
		{name: "admin creates users", proc: "/avatar.org.v1.OrgService/CreateUser", role: orgv1.Role_ROLE_DEALERSHIP_ADMIN},
		{name: "admin cannot create dealerships", proc: "/avatar.org.v1.OrgService/CreateDealership", role: orgv1.Role_ROLE_DEALERSHIP_ADMIN, want: authz.ErrRoleDenied},
		{name: "edge searches", proc: "/avatar.knowledge.v1.KnowledgeService/Search", role: orgv1.Role_ROLE_EDGE_SERVICE},
		{name: "edge cannot upload", proc: "/avatar.knowledge.v1.KnowledgeService/UploadDocument", role: orgv1.Role_ROLE_EDGE_SERVICE, want: authz.ErrRoleDenied},
		{name: "unknown procedure denied", proc: "/avatar.x.v1.X/Y", role: orgv1.Role_ROLE_SUPER_ADMIN, want: authz.ErrNoPolicy},
		{name: "unspecified role denied", proc: "/avatar.org.v1.OrgService/GetMe", role: orgv1.Role_ROLE_UNSPECIFIED, want: authz.ErrRoleDenied},
		{name: "login public", proc: "/avatar.auth.v1.AuthService/Login", role: orgv1.Role_ROLE_UNSPECIFIED},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := p.Check(tc.proc, tc.role)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Check = %v, want %v", err, tc.want)
			}
		})
	}
}
