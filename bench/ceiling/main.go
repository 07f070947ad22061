// Command ceiling is the HTTP ceiling for bench/serve-load.sh: a bare
// net/http handler that decodes a small JSON body and answers a small JSON
// object, with no authentication, database, logging or metrics. What
// "secrets serve" does per request is measured against it in the same run.
//
//	ceiling [-addr 127.0.0.1:8499]
package main

import (
	"encoding/json"
	"flag"
	"log"
	"net"
	"net/http"
)

type request struct {
	Key       string `json:"key"`
	Namespace string `json:"namespace"`
	Purpose   string `json:"purpose"`
	Token     string `json:"token"`
	Subject   string `json:"subject"`
	Code      string `json:"code"`
}

type response struct {
	Valid  bool   `json:"valid"`
	Status string `json:"status"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8499", "loopback HOST:PORT to listen on")
	flag.Parse()
	host, _, err := net.SplitHostPort(*addr)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		log.Fatalf("ceiling: -addr %q must be a loopback HOST:PORT", *addr)
	}
	http.HandleFunc("POST /", func(w http.ResponseWriter, r *http.Request) {
		var req request
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
			http.Error(w, `{"error":"bad json"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(response{Valid: req.Key != "" || req.Token != "" || req.Code != "", Status: "VALID"})
	})
	log.Printf("ceiling: listening on %s", *addr)
	log.Fatal(http.ListenAndServe(*addr, nil))
}
