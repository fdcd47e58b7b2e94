// Package technique labels a trainee's line with the techniques F&I trainers
// teach (rapport, open questions, the whole menu, value before price,
// acknowledging and isolating an objection, alternatives, disclosures, asking
// for the business), the behaviours they forbid (pressure, misleading claims,
// arguing) and price statements.
//
// Two signals decide, each per technique: lexical rules (word patterns with
// negation handled, written for spoken text without punctuation) and
// similarity of hashed bag-of-stems vectors to per-technique example lines
// (examples/examples.tsv), the score being the mean of the two best examples'
// cosines, taken over the whole line and over windows of it so that a line
// doing two things matches both. A rule fires a technique outright; a
// similarity fires it above the technique's threshold, chosen on
// testdata/dev.tsv. The figures of merit are measured on a held-out set
// written without sight of either file (see classifier_test.go).
package technique
