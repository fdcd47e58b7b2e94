// Package envconfig reads a service's configuration from environment variables
// into typed values, applying defaults and validating each one. The core's and
// the edge's config packages are built on it, so both read, default and report
// their AVATAR_* variables the same way.
//
// A Load function creates a Reader over a getenv function (os.Getenv in main, a
// map in tests), reads every field with one typed reader call, adds its
// cross-field rules with Fail, and returns Err:
//
//	r := envconfig.New(getenv)
//	c := Config{
//		Addr:    r.Addr("AVATAR_CORE_ADDR", ":8080"),
//		Timeout: r.Duration("AVATAR_SHUTDOWN_TIMEOUT", 20*time.Second),
//	}
//	if err := r.Err(); err != nil {
//		return Config{}, err
//	}
//
// The rules every reader shares:
//
//   - A variable that is unset, empty or only blanks takes the default; values
//     are trimmed of surrounding blanks before they are parsed.
//   - The first problem is kept and later ones are dropped, so a service that
//     cannot start prints one line, "AVATAR_X: what is wrong", and the operator
//     fixes one variable at a time. The error is an *Error and wraps ErrInvalid.
//   - Durations must be positive: zero and negative values are rejected. No
//     variable of ours means "off" with zero; one that ever does gets a reader of
//     its own that says so.
//   - Messages quote a bad number, duration, word, address or path, but never a
//     URL or a key, which can carry a password or a secret.
//   - URLs lose their trailing slashes, so a base URL joins with a path the same
//     way whether or not the operator typed one.
//
// # Why not a library
//
// The kept struct-tag loaders, github.com/caarlos0/env/v11,
// github.com/kelseyhightower/envconfig and github.com/sethvargo/go-envconfig,
// parse a value into its Go type but do not check an integer's range, a word
// against a list, a URL's scheme and host, a host:port address, a file or a
// key's size, so each service would still hand-write that second pass. Their
// messages name the struct field and the parser's error ("parse error on field
// "Port" of type "int": strconv.ParseInt: ...", "envconfig.Process: assigning
// AVATAR_X to Port: converting 'x' to type int. details: ..."), not the variable
// and what is wrong; caarlos0/env joins every problem into one long line;
// sethvargo/go-envconfig takes an empty value as set rather than as the default;
// and defaults that depend on another variable (the embedding size on the
// embedder, the edge's token issuer on AVATAR_PUBLIC_URL) need code beside the
// tags anyway. The readers here are a few lines each and depend only on the
// standard library.
//
// A Reader is not safe for concurrent use; it is meant for one Load call.
package envconfig
