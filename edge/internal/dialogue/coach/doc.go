// Package coach is the training coach: it answers a trainee's question from
// the dealership's own documents, retrieved through the core's
// KnowledgeService.Search for the caller, and cites the passages its answer
// comes from (document, title, page or section).
//
// The embedded engine is extractive: the sentences of the top passages that
// cover most of the question's content words, in their own order, cut short
// enough to speak. Whether anything relevant was found is decided from how
// much of the question the best passage covers, not from rank: the search
// always returns its best passages, even for a question about the weather,
// and a citation that does not support the answer is worse than none. When
// nothing relevant is found the coach says so and cites nothing. With a
// language model configured, the model writes the answer from the same
// passages and the citations are those it marks.
package coach
