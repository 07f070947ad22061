package cli

import "strconv"

func appendInt(dst []byte, v int) []byte { return strconv.AppendInt(dst, int64(v), 10) }
