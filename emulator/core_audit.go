package emulator

import (
	"encoding/json"
	"sync"
	"time"
)

// AuditEntry records one API call. It carries the caller's AccessKeyId only,
// never a secret or a security token.
type AuditEntry struct {
	Time        time.Time         `json:"time"`
	RequestID   string            `json:"requestId"`
	Product     string            `json:"product"`
	Action      string            `json:"action"`
	Params      map[string]string `json:"params,omitempty"`
	Code        string            `json:"code"` // "OK" on success
	HTTPStatus  int               `json:"httpStatus"`
	AccessKeyID string            `json:"accessKeyId"`
	Latency     time.Duration     `json:"latencyNs"`
}

// Counts are call counters: by action ("Product.Action") then by result
// code ("OK" for success).
type Counts map[string]map[string]int

type auditState struct {
	mu      sync.Mutex
	entries []AuditEntry
	limit   int
	counts  Counts
}

func (a *auditState) init(limit int) {
	a.limit = limit
	a.counts = Counts{}
}

func (e *Emulator) record(ent AuditEntry) {
	a := &e.audit
	a.mu.Lock()
	if len(a.entries) >= a.limit {
		// Drop the oldest half at once, so appends stay amortised O(1).
		a.entries = append(a.entries[:0:0], a.entries[len(a.entries)/2:]...)
	}
	a.entries = append(a.entries, ent)
	key := ent.Product + "." + ent.Action
	if a.counts[key] == nil {
		a.counts[key] = map[string]int{}
	}
	a.counts[key][ent.Code]++
	w := e.cfg.AuditWriter
	a.mu.Unlock()
	if w != nil {
		if b, err := json.Marshal(ent); err == nil {
			_, _ = w.Write(append(b, '\n'))
		}
	}
}

// Audit returns a copy of the audit log, oldest first.
func (e *Emulator) Audit() []AuditEntry {
	e.audit.mu.Lock()
	defer e.audit.mu.Unlock()
	return append([]AuditEntry(nil), e.audit.entries...)
}

// Counts returns a copy of the call counters.
func (e *Emulator) Counts() Counts {
	e.audit.mu.Lock()
	defer e.audit.mu.Unlock()
	out := Counts{}
	for k, m := range e.audit.counts {
		out[k] = map[string]int{}
		for c, n := range m {
			out[k][c] = n
		}
	}
	return out
}

// CallCount returns how many calls of an action ("DescribeInstances" or
// "Ecs.DescribeInstances") ended with code ("" = any code).
func (e *Emulator) CallCount(action, code string) int {
	e.audit.mu.Lock()
	defer e.audit.mu.Unlock()
	n := 0
	for k, m := range e.audit.counts {
		if k != action && !hasSuffixDot(k, action) {
			continue
		}
		for c, v := range m {
			if code == "" || c == code {
				n += v
			}
		}
	}
	return n
}

func hasSuffixDot(k, action string) bool {
	return len(k) > len(action) && k[len(k)-len(action)-1] == '.' && k[len(k)-len(action):] == action
}

// ResetAudit clears the audit log and the counters.
func (e *Emulator) ResetAudit() {
	e.audit.mu.Lock()
	e.audit.entries = nil
	e.audit.counts = Counts{}
	e.audit.mu.Unlock()
}
