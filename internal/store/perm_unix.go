//go:build unix

package store

import (
	"fmt"
	"os"
	"syscall"
)

// checkedModes: Unix permission bits mean what they say.
const checkedModes = true

// ownedBySelf reports whether this process's user owns the file, and
// otherwise names its owner.
func ownedBySelf(info os.FileInfo) (owner string, mine bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return "an unknown user", false
	}
	return fmt.Sprintf("uid %d, not this user (uid %d)", st.Uid, os.Geteuid()), int(st.Uid) == os.Geteuid()
}
