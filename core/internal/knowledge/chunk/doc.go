// Package chunk splits extracted blocks into retrieval chunks along the document's
// structure: a chunk never crosses a heading, prefers paragraph and list-item
// boundaries, then sentence boundaries, and carries a tail of the previous chunk of the
// same section as overlap. Each chunk keeps its section path and first page.
package chunk
