package envconfig_test

import (
	"fmt"
	"time"

	"github.com/avatar-fi/avatar/platform/envconfig"
)

func Example() {
	env := map[string]string{
		"AVATAR_CORE_ADDR":        "127.0.0.1:8080",
		"AVATAR_SHUTDOWN_TIMEOUT": "0s",
	}
	r := envconfig.New(func(k string) string { return env[k] })
	addr := r.Addr("AVATAR_CORE_ADDR", ":8080")
	level := r.OneOf("AVATAR_LOG_LEVEL", "info", "debug", "info", "warn", "error")
	timeout := r.Duration("AVATAR_SHUTDOWN_TIMEOUT", 20*time.Second)
	fmt.Println(addr, level, timeout)
	fmt.Println(r.Err())
	// Output:
	// 127.0.0.1:8080 info 20s
	// invalid configuration: AVATAR_SHUTDOWN_TIMEOUT: "0s" must be a positive duration such as 20s
}
