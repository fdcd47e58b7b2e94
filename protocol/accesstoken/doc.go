// Package accesstoken is the access-token contract shared by the core, which signs, and
// the edges, which verify locally without calling the core.
//
// An access token is a JWT signed with Ed25519 (header alg "EdDSA" and a kid naming the
// key). Its claims are the registered iss, aud ("avatar"), sub (the user id), exp, iat and
// jti, plus "role" (the avatar.org.v1.Role enum name such as "ROLE_TRAINEE"), "did" (the
// dealership id, empty for super admins and services) and "email".
//
// The core publishes its current and previous public keys as a JWKS document at
// GET /.well-known/jwks.json (see EncodeJWKS and Handler). An edge builds a RemoteKeySet
// on that URL and a Verifier on the key set: keys are cached, and a token with an unknown
// kid triggers a (rate-limited) refetch, so the core can rotate its signing key without
// logging anyone out and without a call per request.
package accesstoken
