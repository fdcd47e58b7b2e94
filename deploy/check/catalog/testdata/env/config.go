package env

import "os"

type reader struct{}

func (reader) String(name, def string) string { return os.Getenv(name) }

func load() {
	var r reader
	_ = os.Getenv("AVATAR_FOO")
	_ = r.String("AVATAR_BAR_URL", "")
	_ = r.String("AVATAR_"+"EMBEDDINGS_"+"DIMS", "")
	_ = "AVATAR_"
	_ = "avatar_lowercase"
}
