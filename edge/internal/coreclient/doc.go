// Package coreclient is how the edge calls the core: KnowledgeService.Search
// for the coach and ScenarioService.GetScenario for role-play sessions, over
// Connect, each under a deadline and as the caller — with the trainee's own
// access token while it is valid, else with the edge's service key naming
// the trainee's dealership.
//
// Search results are kept in an LRU per dealership knowledge generation: a
// KnowledgeChanged event on avatar.knowledge.changed.<dealership> (Watch)
// moves that dealership's generation on, so no answer outlives the documents
// it came from. Keys never mix dealerships.
package coreclient
