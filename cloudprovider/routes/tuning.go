package routes

import "time"

// Tuning holds the writer's timing; zero fields take the defaults.
type Tuning struct {
	// GatherWindow is how long the first op of an idle writer waits for
	// others to join its batch (the framework fires its CreateRoute calls
	// within milliseconds). Default 200ms.
	GatherWindow time.Duration
	// PollInitial and PollMax bound the backoff between the listings that
	// wait for written entries to become Available (or gone). Defaults
	// 250ms and 2s.
	PollInitial, PollMax time.Duration
	// SettleTimeout bounds the wait for one batch's entries. Default 3m.
	SettleTimeout time.Duration
	// MaxAttempts bounds how often one op is sent again after the table
	// refused it as busy. Default 5.
	MaxAttempts int
}

func (t Tuning) withDefaults() Tuning {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&t.GatherWindow, 200*time.Millisecond)
	def(&t.PollInitial, 250*time.Millisecond)
	def(&t.PollMax, 2*time.Second)
	def(&t.SettleTimeout, 3*time.Minute)
	if t.MaxAttempts <= 0 {
		t.MaxAttempts = 5
	}
	return t
}

// Stats counts the writer's work since it was created.
type Stats struct {
	// CreateCalls and DeleteCalls count CreateRouteEntries and
	// DeleteRouteEntries calls.
	CreateCalls, DeleteCalls int64
	// Listings counts ListRouteEntries calls made by the writer.
	Listings int64
	// BusyRefusals counts entries or calls the VPC refused because the table
	// or VPC was busy: with serialised writes this stays 0 unless someone
	// else writes the same VPC.
	BusyRefusals int64
}
