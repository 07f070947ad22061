// Package good type-checks and holds one finding.
package good

import (
	"fmt"
	"math/rand"
)

func ResetToken() string { return fmt.Sprintf("%x", rand.Int63()) }
