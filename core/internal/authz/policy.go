package authz

import (
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/analytics/v1/analyticsv1connect"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/auth/v1/authv1connect"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1/knowledgev1connect"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1/orgv1connect"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/region/v1/regionv1connect"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1/scenariov1connect"
)

// table is THE policy: one line per procedure the core serves. Add yours here (see the
// package doc). Keep it grouped by service and in proto order.
var table = map[string]Rule{
	// AuthService. Login, Refresh and Logout carry their own credential (password or
	// refresh token). Credential changes act on the caller themselves.
	authv1connect.AuthServiceLoginProcedure:        Public,
	authv1connect.AuthServiceRefreshProcedure:      Public,
	authv1connect.AuthServiceLogoutProcedure:       Public,
	authv1connect.AuthServiceEnrollTotpProcedure:   Members.Audited(),
	authv1connect.AuthServiceConfirmTotpProcedure:  Members.Audited(),
	authv1connect.AuthServiceDisableTotpProcedure:  Members.Audited(),
	authv1connect.AuthServiceCreateApiKeyProcedure: Admins.Audited(),
	authv1connect.AuthServiceListApiKeysProcedure:  Admins,
	authv1connect.AuthServiceRevokeApiKeyProcedure: Admins.Audited(),

	// OrgService.
	orgv1connect.OrgServiceCreateDealershipProcedure: SuperAdmin.Audited(),
	orgv1connect.OrgServiceListDealershipsProcedure:  Members,
	orgv1connect.OrgServiceCreateUserProcedure:       Admins.Audited(),
	orgv1connect.OrgServiceListUsersProcedure:        Admins,
	orgv1connect.OrgServiceGetUserProcedure:          Admins,
	orgv1connect.OrgServiceUpdateUserProcedure:       Admins.Audited(),
	orgv1connect.OrgServiceDeactivateUserProcedure:   Admins.Audited(),
	orgv1connect.OrgServiceGetMeProcedure:            Members,
	orgv1connect.OrgServiceListAuditEventsProcedure:  Admins,

	// KnowledgeService. Admins curate; every dealership user reads; edges search.
	knowledgev1connect.KnowledgeServiceUploadDocumentProcedure: Admins.Audited(),
	knowledgev1connect.KnowledgeServiceGetDocumentProcedure:    Members,
	knowledgev1connect.KnowledgeServiceListDocumentsProcedure:  Members,
	knowledgev1connect.KnowledgeServiceWatchDocumentProcedure:  Members,
	knowledgev1connect.KnowledgeServiceDeleteDocumentProcedure: Admins.Audited(),
	knowledgev1connect.KnowledgeServiceSearchProcedure:         MembersAndEdges,
	knowledgev1connect.KnowledgeServiceSetWebhookProcedure:     Admins.Audited(),
	knowledgev1connect.KnowledgeServiceGetWebhookProcedure:     Admins,

	// ScenarioService. Everyone reads (edges load scenarios for role-play); admins write.
	scenariov1connect.ScenarioServiceCreateScenarioProcedure: Admins.Audited(),
	scenariov1connect.ScenarioServiceGetScenarioProcedure:    MembersAndEdges,
	scenariov1connect.ScenarioServiceListScenariosProcedure:  MembersAndEdges,
	scenariov1connect.ScenarioServiceUpdateScenarioProcedure: Admins.Audited(),
	scenariov1connect.ScenarioServiceDeleteScenarioProcedure: Admins.Audited(),

	// AnalyticsService. Trainees see their own (the service narrows); admins their dealership.
	analyticsv1connect.AnalyticsServiceGetUserAnalyticsProcedure:       Members,
	analyticsv1connect.AnalyticsServiceGetDealershipAnalyticsProcedure: Admins,
	analyticsv1connect.AnalyticsServiceListSessionsProcedure:           Members,
	analyticsv1connect.AnalyticsServiceGetSessionProcedure:             Members,
	analyticsv1connect.AnalyticsServiceGetRegionLatencyProcedure:       SuperAdmin,
	analyticsv1connect.AnalyticsServiceDeleteUserSessionsProcedure:     Admins.Audited(),
	analyticsv1connect.AnalyticsServiceGetRetentionProcedure:           Admins,
	analyticsv1connect.AnalyticsServiceSetRetentionProcedure:           Admins.Audited(),

	// RegionService. Clients pick an edge before a call; ops list edges.
	regionv1connect.RegionServicePickEdgeProcedure:  Members,
	regionv1connect.RegionServiceListEdgesProcedure: SuperAdmin,
}
