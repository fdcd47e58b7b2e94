// Package dialogue writes the edge's replies. For now it holds only Echo, a
// PLACEHOLDER Responder that reads the trainee's words back; the coach and
// the role-play customer replace it in the next issue.
package dialogue
