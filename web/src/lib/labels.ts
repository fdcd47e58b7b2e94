import { Role } from "@gen/avatar/org/v1/org_pb";
import { DocumentStatus, IngestStage } from "@gen/avatar/knowledge/v1/knowledge_pb";
import { Outcome, Technique } from "@gen/avatar/scenario/v1/scenario_pb";

export const roleLabels: Record<Role, string> = {
  [Role.UNSPECIFIED]: "Unknown",
  [Role.SUPER_ADMIN]: "Super admin",
  [Role.DEALERSHIP_ADMIN]: "Dealership admin",
  [Role.TRAINEE]: "Trainee",
  [Role.EDGE_SERVICE]: "Edge service",
};

export const techniqueLabels: Record<Technique, string> = {
  [Technique.UNSPECIFIED]: "Other",
  [Technique.RAPPORT]: "Rapport",
  [Technique.OPEN_QUESTION]: "Open question",
  [Technique.FULL_MENU]: "Full menu",
  [Technique.VALUE_BEFORE_PRICE]: "Value before price",
  [Technique.ACKNOWLEDGE_OBJECTION]: "Acknowledged objection",
  [Technique.ISOLATE_OBJECTION]: "Isolated objection",
  [Technique.OFFER_ALTERNATIVE]: "Offered alternative",
  [Technique.DISCLOSURE]: "Disclosure",
  [Technique.ASK_FOR_BUSINESS]: "Asked for the business",
  [Technique.PRESSURE]: "Pressure",
  [Technique.MISLEADING]: "Misleading claim",
  [Technique.ARGUE]: "Argued",
  [Technique.PRICE_STATEMENT]: "Price statement",
};

/** negativeTechniques are the behaviours trainers forbid. */
export const negativeTechniques = new Set<Technique>([Technique.PRESSURE, Technique.MISLEADING, Technique.ARGUE]);

export const outcomeLabels: Record<Outcome, string> = {
  [Outcome.UNSPECIFIED]: "Not decided",
  [Outcome.OPEN]: "Still open",
  [Outcome.BOUGHT]: "Bought",
  [Outcome.DEFERRED]: "Wants to think it over",
  [Outcome.WALKED]: "Walked away",
};

export const documentStatusLabels: Record<DocumentStatus, string> = {
  [DocumentStatus.UNSPECIFIED]: "Unknown",
  [DocumentStatus.PENDING]: "Pending",
  [DocumentStatus.PROCESSING]: "Processing",
  [DocumentStatus.READY]: "Ready",
  [DocumentStatus.FAILED]: "Failed",
};

export const ingestStageLabels: Record<IngestStage, string> = {
  [IngestStage.UNSPECIFIED]: "",
  [IngestStage.QUEUED]: "Queued",
  [IngestStage.EXTRACTING]: "Extracting text",
  [IngestStage.CHUNKING]: "Splitting into passages",
  [IngestStage.EMBEDDING]: "Embedding",
  [IngestStage.WRITING]: "Writing",
  [IngestStage.DONE]: "Done",
};

export function isAdmin(role: Role | undefined): boolean {
  return role === Role.SUPER_ADMIN || role === Role.DEALERSHIP_ADMIN;
}
