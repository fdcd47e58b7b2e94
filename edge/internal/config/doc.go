// Package config reads the edge's configuration from AVATAR_* environment
// variables with the shared loader, github.com/avatar-fi/avatar/platform/envconfig:
// it applies defaults and validates every value, and a bad value is reported as
// "AVATAR_X: what is wrong". Only this package and cmd/ read the environment.
package config
