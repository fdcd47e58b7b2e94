// Package config reads and validates the core's configuration from AVATAR_* environment
// variables. Only cmd/ and tests call it; every other package receives typed values.
package config
