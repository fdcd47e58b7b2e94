// Package embed provides text embedders for knowledge retrieval: Hashed, the embedded
// lexical hashed embedder (word and subword n-grams, signed feature hashing, no network,
// deterministic), and OpenAI, a client for any OpenAI-compatible /v1/embeddings server.
// Both return L2-normalised vectors, so cosine distance ranks them.
package embed
