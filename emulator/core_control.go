package emulator

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// ControlHandler returns the control endpoint's http.Handler (serve it on a
// separate address from the OpenAPI):
//
//	GET  /healthz                  "ok"
//	GET  /audit                    {"entries":[AuditEntry...],"counts":Counts}
//	DELETE /audit                  reset the audit log and counters
//	GET  /state                    DumpState (all resources, every product)
//	POST /seed                     body SeedState: add resources
//	GET  /faults, POST /faults     FaultProfile: read or replace
//	POST /clock/advance            body {"duration":"90s"} (fake clock only)
//	POST /metadata                 body {"instanceId":..,"tokenRequired":..,"credentialTtl":".."}
//	POST /instances/status         body {"instanceId":..,"status":..}
//	POST /instances/delete         body {"instanceId":..}
//	POST /instances/add            body Instance
func (e *Emulator) ControlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /audit", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"entries": nonNil(e.Audit()), "counts": e.Counts()})
	})
	mux.HandleFunc("DELETE /audit", func(w http.ResponseWriter, _ *http.Request) {
		e.ResetAudit()
		writeJSON(w, http.StatusOK, map[string]string{"status": "reset"})
	})
	mux.HandleFunc("GET /state", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, e.Dump()) })
	mux.HandleFunc("POST /seed", func(w http.ResponseWriter, r *http.Request) {
		var s SeedState
		if !readJSON(w, r, &s) {
			return
		}
		if err := e.Seed(s); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "seeded"})
	})
	mux.HandleFunc("GET /faults", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, e.Faults()) })
	mux.HandleFunc("POST /faults", func(w http.ResponseWriter, r *http.Request) {
		var p FaultProfile
		if !readJSON(w, r, &p) {
			return
		}
		e.SetFaults(p)
		writeJSON(w, http.StatusOK, map[string]string{"status": "applied"})
	})
	mux.HandleFunc("POST /clock/advance", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Duration Duration `json:"duration"`
		}
		if !readJSON(w, r, &body) {
			return
		}
		a, ok := e.clock.(advancer)
		if !ok {
			writeJSON(w, http.StatusConflict, map[string]string{"error": "the emulator runs on the real clock; start it with a fake clock"})
			return
		}
		a.Advance(time.Duration(body.Duration))
		writeJSON(w, http.StatusOK, map[string]string{"now": isoTime(e.clock.Now())})
	})
	mux.HandleFunc("POST /metadata", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			InstanceID    *string   `json:"instanceId"`
			TokenRequired *bool     `json:"tokenRequired"`
			CredentialTTL *Duration `json:"credentialTtl"`
		}
		if !readJSON(w, r, &body) {
			return
		}
		if body.InstanceID != nil {
			e.SetMetadataInstance(*body.InstanceID)
		}
		if body.TokenRequired != nil {
			e.SetMetadataTokenRequired(*body.TokenRequired)
		}
		if body.CredentialTTL != nil {
			e.SetMetadataCredentialTTL(time.Duration(*body.CredentialTTL))
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "applied"})
	})
	mux.HandleFunc("POST /instances/{op}", func(w http.ResponseWriter, r *http.Request) {
		var err error
		switch op := r.PathValue("op"); op {
		case "add":
			var in Instance
			if !readJSON(w, r, &in) {
				return
			}
			err = e.AddInstance(in)
		case "status", "delete":
			var body struct {
				InstanceID string `json:"instanceId"`
				Status     string `json:"status"`
			}
			if !readJSON(w, r, &body) {
				return
			}
			if op == "status" {
				err = e.SetInstanceStatus(body.InstanceID, body.Status)
			} else {
				err = e.DeleteInstance(body.InstanceID)
			}
		default:
			err = fmt.Errorf("unknown operation %q", op)
		}
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// readJSON decodes a request body, answering 400 itself on failure.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("decode body: %v", err)})
		return false
	}
	return true
}
