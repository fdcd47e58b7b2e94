// Package customer is the role-play customer: a state machine over an
// avatar.scenario.v1.Scenario that hears each trainee line through the
// technique classifier, raises the scenario's objections when their cues come
// up, weighs how each is handled (warmer when acknowledged, isolated, shown
// value or alternatives; colder when pushed, misled or argued with), reveals
// what it hides to the right questions, and moves to an outcome: it buys,
// defers or walks away. Its words come from the scenario's lines and a stock
// of reactions chosen with a per-session random source, so two sessions do
// not read the same; with a language model configured, the model rephrases
// the same decided reply in character, and the state machine still decides
// what happens. Grade turns what the trainee did into a scorecard over the
// scenario's rubric, each item with a comment quoting the trainee.
package customer
