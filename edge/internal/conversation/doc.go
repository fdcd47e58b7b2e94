// Package conversation serves avatar.conversation.v1.ConversationService on
// the edge — StartSession, SendMessage (the reply streamed), StartCall,
// EndCall and EndSession — over Connect, gRPC and gRPC-Web, and joins voice
// calls (POST /v1/calls too) to their sessions, so text chat and calls share
// one dialogue. Callers are verified from their bearer token; a session is
// its owner's alone (another user's id answers NotFound). Chat messages and
// call starts are rate limited per user (DESIGN.md: 30 and 20 a minute),
// with one budget shared by every edge when the limiter is backed by Redis.
package conversation
