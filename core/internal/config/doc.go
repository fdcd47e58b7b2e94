// Package config reads and validates the core's configuration from AVATAR_* environment
// variables with the shared loader, github.com/avatar-fi/avatar/platform/envconfig, so
// the core and the edge default and report their variables the same way. Only cmd/ and
// tests call it; every other package receives typed values.
package config
