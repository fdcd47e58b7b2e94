package envconfig

import (
	"fmt"
	"os"
)

// File returns the variable when it names a regular file this process can open
// for reading; "" when it is unset (an optional file).
func (r *Reader) File(name string) string {
	v, ok := r.Lookup(name)
	if !ok {
		return ""
	}
	if !readableFile(v) {
		r.Fail(name, fmt.Sprintf("%q is not a readable file", v))
		return ""
	}
	return v
}

func readableFile(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	st, err := f.Stat()
	return err == nil && st.Mode().IsRegular()
}
