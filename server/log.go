package server

// Keys of the attributes of the service's log lines. They are constants so
// that a thing has one name in every line, which an operator can search
// and index on. No value logged under any of them is a secret: requests
// are logged by route pattern, never by path, query, header or body.
const (
	logKeySubsystem = "subsystem"
	logKeyMethod    = "method"
	logKeyRoute     = "route"
	logKeyStatus    = "status"
	logKeyDuration  = "duration"
	logKeyBytes     = "bytes"
	logKeyRemote    = "remote"
	logKeyErr       = "err"
	logKeyStack     = "stack"
	logKeyMaxConns  = "max_conns" // the bound asked for
	logKeyConns     = "conns"     // the bound served
	logKeyFiles     = "open_files_limit"
)

// Subsystems: each logs through a child of Options.Logger with
// logKeySubsystem set to its name.
const (
	// subsystemServer is starting and stopping.
	subsystemServer = "server"
	// subsystemHTTP is the handling of requests: one line per request,
	// panics, internal errors and net/http's own complaints.
	subsystemHTTP = "http"
	// subsystemSweep is the background deletion of finished records.
	subsystemSweep = "sweep"
)
