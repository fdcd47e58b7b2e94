package env

import "os"

var _ = os.Getenv("AVATAR_TEST_ONLY")
