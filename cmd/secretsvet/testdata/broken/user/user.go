// Package user imports the broken package and type-checks itself.
package user

import "example.com/broken/broken"

func Use(token, got string) bool { return got == token && broken.Fine() != "" }
